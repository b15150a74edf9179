"""An aiohttp Discourse double: the endpoints the bridge uses, held to the official spec.

It keeps state like a forum (``Forum``), enforces the admin API key's requests-per-minute limit
with 429 and ``Retry-After``, can be switched down or made to fail a share of requests (a 5xx
before doing anything, or a timeout after doing the work, the case that tempts a client to
create twice), and sends signed web hooks to whoever registered one. Every request is checked
against ``contract`` first, before authentication, the rate limit and any fault, so a request
outside the spec is caught even when it would have been refused anyway; every answer, errors
included, is checked on its way out. A mismatch is recorded in ``violations`` (and a bad request
answered 400), and the tests assert that list stays empty.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import random
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from tests.support.discourse import contract
from tests.support.discourse import post_serializers as posts
from tests.support.discourse.endpoints import BODY, Endpoints
from tests.support.discourse.forum import Forum, Post, Topic, User


@dataclass(frozen=True)
class Exchange:
    """One request the double received and the status it answered."""

    method: str
    path: str
    status: int
    body: bytes


@dataclass(frozen=True)
class Delivery:
    """One web hook delivery and the receiver's answer."""

    event_id: str
    event: str
    status: int


# What a proxy in front of Discourse (nginx) answers when Discourse is down or fails.
BAD_GATEWAY = "<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"
UNAVAILABLE = "<html><head><title>503 Service Unavailable</title></head><body></body></html>"


def _error(status: int, message: str, error_type: str = "invalid_parameters") -> web.Response:
    return web.json_response({"errors": [message], "error_type": error_type}, status=status)


class DiscourseDouble(Endpoints):
    """Start with ``await double.start()``; ``double.url`` is its base URL."""

    def __init__(
        self,
        *,
        api_key: str = "double-admin-key",
        api_username: str = "system",
        admin_limit: int = 60,
        window: float = 60.0,
        seed: int = 7,
    ) -> None:
        self.forum = Forum()
        self.api_key = api_key
        self.api_username = api_username
        self.admin_limit = admin_limit
        self.window = window  # seconds; tests may compress the minute, the rule is the same
        self.requests: list[Exchange] = []
        self.violations: list[str] = []
        self.throttled = 0
        self.fail_ratio = 0.0
        self.timeout_delay = 2.0
        self.down = False
        self.scripted: list[tuple[str, str, str]] = []  # (method, path start, "error"|"timeout")
        self.deliveries: list[Delivery] = []
        self._random = random.Random(seed)
        self._stamps: deque[float] = deque()
        self._event_ids = itertools.count(1)
        self._tasks: set[asyncio.Task[int]] = set()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.url = ""

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> str:
        # Reading the spec takes seconds: done before listening, and off the event loop, so
        # that the first request is not held up past the client's timeout.
        await asyncio.to_thread(contract.openapi)
        app = web.Application(middlewares=[self._middleware])
        routes = [
            web.get("/categories.json", self._list_categories),
            web.post("/categories.json", self._create_category),
            web.put("/categories/{id}.json", self._update_category),
            web.get("/groups/{name}.json", self._get_group),
            web.post("/admin/groups.json", self._create_group),
            web.put("/groups/{id}/members.json", self._add_members),
            web.delete("/groups/{id}/members.json", self._remove_members),
            web.get("/admin/users/list/{flag}.json", self._list_users),
            web.get("/u/by-external/{external_id}.json", self._user_by_external),
            web.post("/posts.json", self._create_post),
            web.put("/posts/{id}.json", self._update_post),
            web.get("/t/external_id/{external_id}.json", self._topic_by_external_id),
            web.get("/t/{id}.json", self._get_topic),
            web.put("/t/{id}/status.json", self._topic_status),
            web.put("/t/-/{id}.json", self._update_topic),
            web.get("/admin/api/web_hooks.json", self._list_web_hooks),
            web.post("/admin/api/web_hooks.json", self._create_web_hook),
        ]
        app.add_routes(routes)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._http = aiohttp.ClientSession()
        return self.url

    async def stop(self) -> None:
        await self.settle()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def settle(self) -> None:
        """Wait until every web hook delivery started so far has been answered."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- what forum users do (not through the API) ------------------------------------------

    def add_user(self, username: str, name: str, email: str, **kw: Any) -> User:
        return self.forum.add_user(username, name, email, **kw)

    def reply_as(self, username: str, topic_id: int, raw: str) -> Post:
        post = self.forum.reply(username, topic_id, raw)
        self._fire("post_created", post)
        return post

    def publish_as(self, username: str, category_id: int, title: str, raw: str) -> Topic:
        post = self.forum.create_topic(username, title, raw, category_id, [], None)
        self._fire("topic_created", post)
        self._fire("post_created", post)
        return self.forum.topics[post.topic_id]

    def requests_to(self, method: str, path_start: str) -> list[Exchange]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_start)]

    # -- the HTTP layer ---------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.read()
        response, late = await self._answer(request, handler, body)
        self._check_answer(request, response)
        if late:
            await asyncio.sleep(self.timeout_delay)  # the work is done; the answer is late
        self.requests.append(Exchange(request.method, request.path, response.status, body))
        return response

    async def _answer(
        self, request: web.Request, handler: Any, body: bytes
    ) -> tuple[web.Response, bool]:
        """The answer, and whether to hold it back (the work done, the answer late)."""
        headers = dict(request.headers.items())
        try:
            contract.check_request(
                request.method, request.path, dict(request.query), headers, body or None
            )
        except contract.ContractViolation as exc:
            self.violations.append(str(exc))
            return _error(400, f"the double refused a request outside the spec: {exc}"), False
        if self.down:
            return web.Response(status=503, text=UNAVAILABLE, content_type="text/html"), False
        if (
            request.headers.get("Api-Key") != self.api_key
            or request.headers.get("Api-Username") != self.api_username
        ):
            refused = "You are not permitted to view the requested resource."
            return _error(403, refused, "invalid_access"), False
        now = time.monotonic()
        while self._stamps and now - self._stamps[0] >= self.window:
            self._stamps.popleft()
        if len(self._stamps) >= self.admin_limit:
            self.throttled += 1
            wait = max(1, int(self.window - (now - self._stamps[0]) + 0.999))
            throttled = web.json_response(
                {
                    "errors": ["You’ve performed this action too many times. Please wait."],
                    "error_type": "rate_limit",
                    "extras": {"wait_seconds": wait, "time_left": f"{wait} seconds"},
                },
                status=429,
                headers={
                    "Retry-After": str(wait),
                    "Discourse-Rate-Limit-Error-Code": "admin_api_key_rate_limit",
                },
            )
            return throttled, False
        self._stamps.append(now)
        fault = None
        for entry in self.scripted:
            method, start, kind = entry
            if request.method == method and request.path.startswith(start):
                self.scripted.remove(entry)
                fault = kind
                break
        else:
            if self.fail_ratio and self._random.random() < self.fail_ratio:
                fault = self._random.choice(("error", "timeout"))
        if fault == "error":
            return web.Response(status=502, text=BAD_GATEWAY, content_type="text/html"), False
        request[BODY] = json.loads(body) if body else {}
        try:
            response = await handler(request)
        except LookupError:
            response = _error(404, "The requested URL or resource could not be found.", "not_found")
        except (ValueError, PermissionError) as exc:
            response = _error(422, str(exc))
        return response, fault == "timeout"

    def _check_answer(self, request: web.Request, response: web.Response) -> None:
        raw = response.body if isinstance(response.body, bytes) else b""
        try:
            contract.check_response(
                request.method,
                request.path,
                dict(request.query),
                response.status,
                response.content_type,
                raw,
                dict(response.headers),
            )
        except contract.ContractViolation as exc:
            self.violations.append(str(exc))

    def _fire(self, event: str, post: Post) -> None:
        topic = self.forum.topics[post.topic_id]
        kind = 1 if event.startswith("topic") else 2
        if kind == 1:
            payload: dict[str, Any] = {"topic": posts.web_hook_topic(self.forum, topic)}
        else:
            payload = {"post": posts.web_hook_post(self.forum, post)}
        for hook in self.forum.web_hooks.values():
            if not hook.active or kind not in hook.event_type_ids:
                continue
            if hook.category_ids and topic.category_id not in hook.category_ids:
                continue
            event_id = str(next(self._event_ids))
            body = json.dumps(payload).encode()
            try:
                contract.check_web_hook_delivery(
                    self.web_hook_headers(hook.secret, event_id, event, body), body, hook.secret
                )
            except contract.ContractViolation as exc:
                self.violations.append(str(exc))
            task = asyncio.get_running_loop().create_task(
                self.deliver(hook.payload_url, hook.secret, event_id, event, body)
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def web_hook_headers(
        self, secret: str | None, event_id: str, event: str, body: bytes
    ) -> dict[str, str]:
        """The headers Discourse sends with a delivery, signed when the hook has a secret."""
        headers = {
            "Content-Type": "application/json",
            "X-Discourse-Instance": self.url,
            "X-Discourse-Event-Id": event_id,
            "X-Discourse-Event-Type": event.split("_")[0],
            "X-Discourse-Event": event,
        }
        if secret:
            digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Discourse-Event-Signature"] = f"sha256={digest}"
        return headers

    async def deliver(
        self,
        url: str,
        secret: str | None,
        event_id: str,
        event: str,
        body: bytes,
        *,
        signature: str | None = None,
    ) -> int:
        """Send one delivery as Discourse does (tests also use it to forge or repeat one)."""
        headers = self.web_hook_headers(secret, event_id, event, body)
        if signature is not None:
            headers["X-Discourse-Event-Signature"] = signature
        assert self._http is not None
        try:
            async with self._http.post(url, data=body, headers=headers) as response:
                status = response.status
        except aiohttp.ClientError:
            status = 0
        self.deliveries.append(Delivery(event_id, event, status))
        return status
