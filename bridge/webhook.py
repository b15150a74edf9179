"""The web hook receiver: Discourse tells the bridge about new posts and topics.

A delivery is accepted only with a valid ``X-Discourse-Event-Signature`` (HMAC-SHA256 of the
raw body with the shared secret, compared in constant time): 401 otherwise. A body that is not
the JSON Discourse sends is refused with 400. What a delivery causes is committed with the
delivery's ``X-Discourse-Event-Id`` as an exactly-once key, so a redelivery is answered 200 and
changes nothing. Posts the bridge itself made (its API user) are not echoed back to Matrix.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bridge.html_text import excerpt
from bridge.store import BridgeStore, InboundPosts
from phenomena.errors import AlreadyDone
from phenomena.events import ToolboxReplied, ToolboxTopicCreated
from phenomena.storage.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)

UowFactory = Callable[[str], SqlUnitOfWork]  # the argument is the exactly-once key
WEBHOOK_PATH = "/discourse/webhook"


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is ``sha256=<hex HMAC-SHA256(secret, body)>`` (constant time)."""
    if not header or not secret:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


class WebhookReceiver:
    """Turns signed deliveries into outbox events for the bots."""

    def __init__(
        self,
        secret: str,
        uow: UowFactory,
        store: BridgeStore,
        *,
        api_username: str,
        base_url: str,
        toolbox_categories: Callable[[], Awaitable[dict[int, str]]],
    ) -> None:
        self._secret = secret
        self._uow = uow
        self._store = store
        self._api_username = api_username
        self._base_url = base_url.rstrip("/")
        self._toolbox_categories = toolbox_categories
        self.handled = 0
        self.refused = 0

    def routes(self) -> list[web.RouteDef]:
        return [web.post(WEBHOOK_PATH, self.receive)]

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not signature_ok(self._secret, body, request.headers.get("X-Discourse-Event-Signature")):
            self.refused += 1
            log.warning("refused a web hook delivery with a missing or wrong signature")
            return web.json_response(
                {"error": "unsigned or wrongly signed delivery: check the web hook's secret"},
                status=401,
            )
        event_id = request.headers.get("X-Discourse-Event-Id", "")
        event = request.headers.get("X-Discourse-Event", "")
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if not event_id or not event or not isinstance(document, dict):
            self.refused += 1
            return web.json_response(
                {"error": "expected X-Discourse-Event-Id, X-Discourse-Event and a JSON object"},
                status=400,
            )
        if "ping" in document:
            return web.json_response({"ok": "pong"})
        try:
            outcome = await self._handle(event_id, event, document)
        except _Malformed as exc:
            self.refused += 1
            return web.json_response({"error": str(exc)}, status=400)
        self.handled += 1
        return web.json_response({"ok": outcome})

    async def _handle(self, event_id: str, event: str, document: dict[str, Any]) -> str:
        if event != "post_created":
            return "ignored"  # topic_created carries no text; its first post_created does
        post = document.get("post")
        if not isinstance(post, dict):
            raise _Malformed("a post_created delivery must carry a post object")
        try:
            post_id = int(post["id"])
            topic_id = int(post["topic_id"])
            number = int(post["post_number"])
            username = str(post["username"])
            cooked = str(post.get("cooked", ""))
        except (KeyError, TypeError, ValueError) as exc:
            raise _Malformed(f"the post lacks a valid {exc}") from None
        if username == self._api_username:
            return "own post"  # made by the bridge: no echo
        key = f"discourse:{event_id}"
        if number == 1:
            categories = await self._toolbox_categories()
            category = categories.get(int(post.get("category_id") or 0))
            if category is None:
                return "not toolbox material"
            slug = str(post.get("topic_slug") or "topic")
            event_out: Any = ToolboxTopicCreated(
                topic_id=topic_id,
                title=str(post.get("topic_title") or ""),
                category=category,
                excerpt=excerpt(cooked),
                url=f"{self._base_url}/t/{slug}/{topic_id}",
            )
            return await self._commit(key, event_out, None)
        alert_id = await self._store.alert_of_topic(topic_id)
        if alert_id is None:
            return "not an alert topic"
        author = str(post.get("name") or username)
        reply = ToolboxReplied(
            alert_id=alert_id,
            post_id=post_id,
            author=f"{author} (@{username})" if author != username else f"@{username}",
            text=excerpt(cooked, 2000),
            url=f"{self._base_url}/t/{post.get('topic_slug') or 'topic'}/{topic_id}/{number}",
        )
        return await self._commit(key, reply, (alert_id, post_id))

    async def _commit(self, key: str, event: Any, inbound: tuple[int, int] | None) -> str:
        try:
            async with self._uow(key) as unit:
                if inbound is not None and not await InboundPosts(unit.session).add(*inbound):
                    return "already carried"
                unit.record(event)
                await unit.commit()
        except AlreadyDone:
            return "already handled"
        return "accepted"


class _Malformed(Exception):
    pass
