"""The Discourse calls the bridge makes, on pydiscourse, shaped as the official API spec says.

pydiscourse (the owner's choice) carries authentication, error classes and JSON decoding. Its
convenience wrappers send form bodies with Rails-style keys (``post[raw]``, ``tags[]``), which
the spec does not describe, so the writes here send the spec's JSON bodies through the client's
own request method; the reads use its wrappers where they match the spec. Calls are blocking
(``requests``): ``bridge.client`` runs them in worker threads behind the rate limiter.

Errors (never a library's own)::

    ToolboxError
    ├── Unavailable   5xx, timeout, refused connection: the outbox tries again later
    ├── Refused       another 4xx: the message says what Discourse objected to
    └── Throttled     429: wait ``retry_after`` seconds (the client does, then sends again)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests
from pydiscourse import DiscourseClient
from pydiscourse.exceptions import DiscourseClientError, DiscourseError, DiscourseServerError


class ToolboxError(Exception):
    """Base of what the bridge's Discourse calls raise."""


class Unavailable(ToolboxError):
    """Discourse is down, slow or failing (5xx, timeout): try again later, nothing is lost."""

    transient = True  # the outbox dispatcher retries it long before giving up


class Refused(ToolboxError):
    """Discourse refused the call (4xx): the message says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Discourse answered {status}: {message}")
        self.status = status


class Throttled(ToolboxError):
    """HTTP 429: wait ``retry_after`` seconds before the next call."""

    transient = True

    def __init__(self, retry_after: float, code: str) -> None:
        super().__init__(f"rate limited ({code}); retry after {retry_after:g} s")
        self.retry_after = retry_after


class _Moved(Exception):
    def __init__(self, location: str) -> None:
        self.location = location


def _intercept(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    """A requests hook: hand 429s and redirects to the bridge instead of pydiscourse.

    pydiscourse sleeps and retries a 429 by itself inside the worker thread, unseen by the
    shared limiter; raising here lets the limiter pause every caller for ``Retry-After``.
    """
    if response.status_code == 429:
        header = response.headers.get("Retry-After", "")
        wait = float(header) if header.replace(".", "", 1).isdigit() else 10.0
        code = response.headers.get("Discourse-Rate-Limit-Error-Code", "rate_limit")
        raise Throttled(wait, code)
    if response.status_code in (301, 302) and "Location" in response.headers:
        raise _Moved(response.headers["Location"])
    return response


class ToolboxApi(DiscourseClient):  # type: ignore[misc] # pydiscourse has no type hints
    """The blocking calls; every one raises ToolboxError subclasses, never library errors."""

    def call(self, verb: str, path: str, *, json: Any = None, params: Any = None) -> Any:
        """One request with the bridge's error mapping (4xx, 5xx, 429, timeouts)."""
        try:
            return self._request(
                verb,
                path,
                params=params,
                json=json,
                override_request_kwargs={"hooks": {"response": [_intercept]}},
            )
        except DiscourseServerError as exc:
            raise Unavailable(str(exc)) from exc
        except DiscourseClientError as exc:
            status = exc.response.status_code if exc.response is not None else 400
            raise Refused(status, str(exc)) from exc
        except DiscourseError as exc:
            raise Unavailable(f"unexpected answer: {exc}") from exc
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise Unavailable(f"{type(exc).__name__}: {exc}") from exc

    # -- topics and posts -------------------------------------------------------------------

    def create_topic(
        self, *, title: str, raw: str, category: int, tags: list[str], external_id: str
    ) -> dict[str, Any]:
        body = {
            "title": title,
            "raw": raw,
            "category": category,
            "external_id": external_id,
            "tags": tags,  # sent by common clients; not in the spec's create body
        }
        return dict(self.call("POST", "/posts.json", json=body))

    def reply(self, topic_id: int, raw: str) -> dict[str, Any]:
        return dict(self.call("POST", "/posts.json", json={"topic_id": topic_id, "raw": raw}))

    def edit_post(self, post_id: int, raw: str, reason: str) -> dict[str, Any]:
        body = {"post": {"raw": raw, "edit_reason": reason}}
        return dict(self.call("PUT", f"/posts/{post_id}.json", json=body))

    def retitle_topic(self, topic_id: int, title: str, category_id: int) -> None:
        body = {"topic": {"title": title, "category_id": category_id}}
        self.call("PUT", f"/t/-/{topic_id}.json", json=body)

    def close_topic(self, topic_id: int) -> None:
        body = {"status": "closed", "enabled": "true"}
        self.call("PUT", f"/t/{topic_id}/status.json", json=body)

    def topic(self, topic_id: int) -> dict[str, Any]:
        return dict(self.call("GET", f"/t/{topic_id}.json"))

    def topic_id_by_external_id(self, external_id: str) -> int | None:
        """The topic made with ``external_id``, or None (Discourse answers with a redirect)."""
        try:
            self.call("GET", f"/t/external_id/{quote(external_id, safe='')}.json")
        except _Moved as moved:
            last = moved.location.rstrip("/").rsplit("/", 1)[-1]
            return int(last.removesuffix(".json"))
        except Refused as exc:
            if exc.status == 404:
                return None
            raise
        raise Unavailable("the external_id lookup answered without a redirect")

    # -- categories -------------------------------------------------------------------------

    def categories(self) -> list[dict[str, Any]]:
        """Every category, subcategories included, flattened."""
        listing = self.call("GET", "/categories.json", params={"include_subcategories": "true"})
        found: list[dict[str, Any]] = []
        for category in listing["category_list"]["categories"]:
            found.append(category)
            for child in category.get("subcategory_list") or []:
                found.append({**child, "parent_category_id": category["id"]})
        return found

    def create_category(
        self, name: str, *, color: str, parent: int | None, permissions: dict[str, int]
    ) -> int:
        body: dict[str, Any] = {"name": name, "color": color, "permissions": permissions}
        if parent is not None:
            body["parent_category_id"] = parent
        return int(self.call("POST", "/categories.json", json=body)["category"]["id"])

    def set_category_permissions(
        self, category_id: int, name: str, permissions: dict[str, int]
    ) -> None:
        body = {"name": name, "permissions": permissions}  # the spec requires the name
        self.call("PUT", f"/categories/{category_id}.json", json=body)

    # -- groups and users -------------------------------------------------------------------

    def group_id(self, name: str) -> int | None:
        try:
            return int(self.call("GET", f"/groups/{quote(name)}.json")["group"]["id"])
        except Refused as exc:
            if exc.status == 404:
                return None
            raise

    def create_group(self, name: str, full_name: str) -> int:
        body = {"group": {"name": name, "full_name": full_name}}
        return int(self.call("POST", "/admin/groups.json", json=body)["basic_group"]["id"])

    def add_to_group(self, group_id: int, username: str) -> None:
        try:
            self.call("PUT", f"/groups/{group_id}/members.json", json={"usernames": username})
        except Refused as exc:
            if exc.status != 422 or "already" not in str(exc):
                raise

    def remove_from_group(self, group_id: int, username: str) -> None:
        self.call("DELETE", f"/groups/{group_id}/members.json", json={"usernames": username})

    def username_by_email(self, email: str) -> str | None:
        users = self.call(
            "GET",
            "/admin/users/list/active.json",
            params={"email": email, "show_emails": "true"},
        )
        for user in users or []:
            if str(user.get("email", "")).lower() == email.lower():
                return str(user["username"])
        return None

    def username_by_external_id(self, external_id: str) -> str | None:
        try:
            found = self.call("GET", f"/u/by-external/{quote(external_id, safe='')}.json")
        except Refused as exc:
            if exc.status == 404:
                return None
            raise
        return str(found["user"]["username"])

    # -- web hooks (not wrapped by pydiscourse, not in the spec) -------------------------

    def web_hooks(self) -> list[dict[str, Any]]:
        return list(self.call("GET", "/admin/api/web_hooks.json")["web_hooks"])

    def create_web_hook(
        self, payload_url: str, secret: str, event_type_ids: list[int], category_ids: list[int]
    ) -> int:
        body = {
            "web_hook": {
                "payload_url": payload_url,
                "content_type": 1,  # application/json
                "secret": secret,
                "active": True,
                "wildcard_web_hook": False,
                "web_hook_event_type_ids": event_type_ids,
                "category_ids": category_ids,
            }
        }
        return int(self.call("POST", "/admin/api/web_hooks.json", json=body)["web_hook"]["id"])
