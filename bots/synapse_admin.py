"""A client for the Synapse admin API (which matrix-nio does not cover), on aiohttp.

Every call goes through one request path that honours 429 ``retry_after_ms`` and retries
connection failures and 5xx answers with backoff, so a bulk import slows down instead of failing
half-way.

Errors::

    PrevnetError
    └── MatrixAdminError     the homeserver refused (status and Matrix errcode kept)
    ConnectionError
    └── MatrixSendError      the homeserver refused an event the bot sent (idem)
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from phenomena.errors import PrevnetError

log = logging.getLogger(__name__)


class MatrixAdminError(PrevnetError):
    """The homeserver answered with an error we cannot retry."""

    def __init__(self, method: str, path: str, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.errcode = str(body.get("errcode", ""))
        self.error = str(body.get("error", body))
        super().__init__(f"{method} {path}: {status} {self.errcode} {self.error}")


class MatrixSendError(ConnectionError):
    """The homeserver refused an event the bot sent, e.g. ``M_TOO_LARGE`` (413).

    A ``ConnectionError`` as before (callers that catch that still do), with the ``errcode``
    and HTTP ``status`` the dispatcher reads to decide whether a retry can help.
    """

    def __init__(self, room_id: str, errcode: str | None, status: int, message: str) -> None:
        self.errcode = errcode or ""
        self.status = status
        super().__init__(f"could not post in {room_id}: {status} {self.errcode} {message}")


@dataclass(frozen=True)
class Session:
    """A logged-in account: what a Matrix client needs to act as it."""

    user_id: str
    access_token: str
    device_id: str


def _q(value: str) -> str:
    return quote(value, safe="")


class SynapseAdmin:
    """Admin operations as the bot account (a server admin)."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        base_url: str,
        access_token: str | None = None,
        *,
        max_attempts: int = 8,
    ) -> None:
        self._http = http
        self.base_url = base_url.rstrip("/")
        self.access_token = access_token
        self._max_attempts = max_attempts

    async def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        ok_missing: bool = False,
    ) -> dict[str, Any] | None:
        """One call, retried on 429 / 5xx / connection errors; None for a 404 if ``ok_missing``."""
        headers = {}
        bearer = token or self.access_token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        delay = 0.2
        for attempt in range(1, self._max_attempts + 1):
            try:
                async with self._http.request(
                    method, self.base_url + path, json=body, headers=headers
                ) as response:
                    data: dict[str, Any] = await response.json(content_type=None) or {}
                    if response.status == 429:
                        wait = float(data.get("retry_after_ms", 1000)) / 1000
                        log.info("rate limited on %s %s; waiting %.1f s", method, path, wait)
                        await asyncio.sleep(min(wait, 30))
                        continue
                    if response.status >= 500 and attempt < self._max_attempts:
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, 5)
                        continue
                    if response.status == 404 and ok_missing:
                        return None
                    if response.status >= 400:
                        raise MatrixAdminError(method, path, response.status, data)
                    return data
            except (aiohttp.ClientConnectionError, TimeoutError):
                if attempt == self._max_attempts:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5)
        raise MatrixAdminError(method, path, 429, {"error": "still rate limited after retries"})

    # -- accounts -----------------------------------------------------------------------------

    async def register(
        self,
        shared_secret: str,
        localpart: str,
        password: str,
        *,
        admin: bool = False,
        displayname: str | None = None,
    ) -> Session:
        """Create an account with the registration shared secret (registration is closed)."""
        nonce_answer = await self.request("GET", "/_synapse/admin/v1/register")
        assert nonce_answer is not None
        nonce = str(nonce_answer["nonce"])
        digest = hmac.new(
            shared_secret.encode(),
            b"\x00".join(
                p.encode() for p in (nonce, localpart, password, "admin" if admin else "notadmin")
            ),
            hashlib.sha1,
        ).hexdigest()
        body: dict[str, Any] = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": digest,
        }
        if displayname:
            body["displayname"] = displayname
        answer = await self.request("POST", "/_synapse/admin/v1/register", body)
        assert answer is not None
        return Session(answer["user_id"], answer["access_token"], answer["device_id"])

    async def login(self, user_id: str, password: str, device_id: str | None = None) -> Session:
        """Log in with a password (client API)."""
        body: dict[str, Any] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user_id},
            "password": password,
        }
        if device_id:
            body["device_id"] = device_id
        answer = await self.request("POST", "/_matrix/client/v3/login", body, token="")
        assert answer is not None
        return Session(answer["user_id"], answer["access_token"], answer["device_id"])

    async def get_user(self, user_id: str) -> dict[str, Any] | None:
        """The account, or None if it does not exist."""
        return await self.request("GET", f"/_synapse/admin/v2/users/{_q(user_id)}", ok_missing=True)

    async def put_user(self, user_id: str, **fields: Any) -> dict[str, Any]:
        """Create or modify an account (displayname, password, admin, locked, deactivated...)."""
        answer = await self.request("PUT", f"/_synapse/admin/v2/users/{_q(user_id)}", fields)
        assert answer is not None
        return answer

    async def deactivate(self, user_id: str) -> None:
        """Deactivate an account; its messages stay (no erasure)."""
        await self.request("POST", f"/_synapse/admin/v1/deactivate/{_q(user_id)}", {"erase": False})

    async def logout_everywhere(self, user_id: str) -> None:
        """Delete every device of the account, which ends all its sessions."""
        devices = await self.request("GET", f"/_synapse/admin/v2/users/{_q(user_id)}/devices")
        ids = [d["device_id"] for d in (devices or {}).get("devices", [])]
        if ids:
            await self.request(
                "POST", f"/_synapse/admin/v2/users/{_q(user_id)}/delete_devices", {"devices": ids}
            )

    async def exempt_from_rate_limits(self, user_id: str) -> None:
        """Let a bot account send without the per-user rate limits."""
        await self.request(
            "POST",
            f"/_synapse/admin/v1/users/{_q(user_id)}/override_ratelimit",
            {"messages_per_second": 0, "burst_count": 0},
        )

    async def list_users(self) -> list[dict[str, Any]]:
        """Every local account, including deactivated and locked ones."""
        users: list[dict[str, Any]] = []
        offset: str | None = "0"
        while offset is not None:
            page = await self.request(
                "GET",
                f"/_synapse/admin/v2/users?from={offset}&limit=500&deactivated=true&locked=true",
            )
            assert page is not None
            users.extend(page.get("users", []))
            offset = page.get("next_token")
        return users

    # -- rooms --------------------------------------------------------------------------------

    async def force_join(self, user_id: str, room: str) -> None:
        """Join a local user to a room the bot is in (no invite, no invite rate limit)."""
        await self.request("POST", f"/_synapse/admin/v1/join/{_q(room)}", {"user_id": user_id})

    async def room_members(self, room_id: str) -> dict[str, str]:
        """Who is in the room or invited to it: user ID to membership (join or invite)."""
        state = await self.request("GET", f"/_synapse/admin/v1/rooms/{_q(room_id)}/state")
        members: dict[str, str] = {}
        for event in (state or {}).get("state", []):
            if event.get("type") == "m.room.member":
                membership = event.get("content", {}).get("membership")
                if membership in ("join", "invite", "knock"):
                    members[event["state_key"]] = membership
        return members

    async def resolve_alias(self, alias: str) -> str | None:
        """The room ID of an alias, or None."""
        answer = await self.request(
            "GET", f"/_matrix/client/v3/directory/room/{_q(alias)}", ok_missing=True
        )
        return None if answer is None else str(answer["room_id"])

    async def delete_alias(self, alias: str) -> None:
        """Remove an alias from the room directory (a server admin may remove anyone's)."""
        await self.request(
            "DELETE", f"/_matrix/client/v3/directory/room/{_q(alias)}", ok_missing=True
        )

    async def joined_rooms(self, user_id: str) -> list[str]:
        """The rooms an account is joined to."""
        answer = await self.request(
            "GET", f"/_synapse/admin/v1/users/{_q(user_id)}/joined_rooms", ok_missing=True
        )
        return list((answer or {}).get("joined_rooms", []))
