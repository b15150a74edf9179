"""A member at Element's own SDK (matrix-js-sdk, Rust crypto), driven as a Node subprocess.

The tests of what Element shows (decryption, the shield next to a bulletin, the sender's
cross-signing) need Element's crypto stack, not the bot's own matrix-nio. ``tests/jsclient``
holds the Node script; this module speaks its JSON-lines protocol. Usage::

    async with js_client() as member:
        await member.login(homeserver.url, user_id, password)
        seen = await member.wait_for_event(room_id, sender=bot_id, contains="A-1")
        assert seen.device is not None and seen.device.signed_by_owner

or the ``js_clients`` fixture (import ``js_clients_fixture`` into the test module), which starts
any number of them and stops them all when the test ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parent.parent / "jsclient"
SCRIPT = PROJECT / "client.mjs"
MARGIN = 15.0
"""Seconds the driver waits beyond a command's own timeout before calling the client stuck."""


class JsClientError(AssertionError):
    """The js client refused or failed a command; the message holds its stderr's last lines."""


@dataclass(frozen=True)
class DeviceTrust:
    """``getDeviceVerificationStatus`` of the sender's device, as Element's SDK sees it."""

    signed_by_owner: bool
    cross_signing_verified: bool
    local_verified: bool
    is_verified: bool


@dataclass(frozen=True)
class UserTrust:
    """``getUserVerificationStatus`` of the sender, as Element's SDK sees it."""

    is_verified: bool
    is_cross_signing_verified: bool
    was_cross_signing_verified: bool
    needs_user_approval: bool


@dataclass(frozen=True)
class SeenEvent:
    """One event the client received, decrypted, with what its SDK says of the sender."""

    event_id: str
    room_id: str
    sender: str
    type: str
    body: str
    content: dict[str, Any]
    encrypted: bool
    decryption_failure: str | None
    shield_colour: str | None
    """``NONE`` (no warning), ``GREY`` or ``RED``; None for an event sent in the clear."""
    shield_reason: str | None
    """e.g. ``UNSIGNED_DEVICE`` ("encrypted by a device not verified by its owner")."""
    sender_device: str | None
    device: DeviceTrust | None
    user: UserTrust | None
    sender_has_cross_signing_keys: bool | None

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> SeenEvent:
        info = raw.get("encryption_info") or {}
        device = raw.get("device_verification")
        user = raw.get("user_verification")
        return cls(
            event_id=str(raw["event_id"]),
            room_id=str(raw["room_id"]),
            sender=str(raw["sender"]),
            type=str(raw["type"]),
            body=str(raw["body"]),
            content=dict(raw.get("content") or {}),
            encrypted=bool(raw["encrypted"]),
            decryption_failure=raw.get("decryption_failure"),
            shield_colour=info.get("shieldColour"),
            shield_reason=info.get("shieldReason"),
            sender_device=raw.get("sender_device"),
            device=DeviceTrust(
                device["signedByOwner"],
                device["crossSigningVerified"],
                device["localVerified"],
                device["isVerified"],
            )
            if device
            else None,
            user=UserTrust(
                user["isVerified"],
                user["isCrossSigningVerified"],
                user["wasCrossSigningVerified"],
                user["needsUserApproval"],
            )
            if user
            else None,
            sender_has_cross_signing_keys=raw.get("sender_has_cross_signing_keys"),
        )


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise JsClientError("node is missing: run scripts/test (it installs Debian's nodejs)")
    if not (PROJECT / "node_modules" / "matrix-js-sdk").is_dir():
        raise JsClientError(
            f"matrix-js-sdk is not installed: run 'npm ci --prefix {PROJECT}' (scripts/test does)"
        )
    return node


class JsClient:
    """One running ``client.mjs``: a single Matrix user and device on matrix-js-sdk."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self._process = process
        self.name = name
        self.user_id = ""
        self.device_id = ""
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._stderr: deque[str] = deque(maxlen=40)
        self._ready: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._readers = [
            asyncio.create_task(self._read_answers()),
            asyncio.create_task(self._read_stderr()),
        ]

    @classmethod
    async def start(cls, name: str = "member") -> JsClient:
        """Start a client process and wait for its first line (the SDK loaded)."""
        process = await asyncio.create_subprocess_exec(
            _node(),
            str(SCRIPT),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=PROJECT,
            limit=1 << 22,  # an event may be 64 KB of JSON, escaped again in our answer
        )
        client = cls(process, name)
        try:
            await asyncio.wait_for(asyncio.shield(client._ready), 60)
        except TimeoutError:
            await client.close()
            raise JsClientError(f"{name}: the js client did not start{client._tail()}") from None
        return client

    def _tail(self) -> str:
        return "; its stderr ends: " + " | ".join(self._stderr) if self._stderr else ""

    async def _read_answers(self) -> None:
        assert self._process.stdout is not None
        async for line in self._process.stdout:
            try:
                answer = json.loads(line)
            except json.JSONDecodeError:
                self._stderr.append(f"(stdout, not JSON) {line[:200]!r}")
                continue
            waiting = self._pending.pop(answer.get("id") or 0, None)
            if answer.get("id") is None and not self._ready.done():
                self._ready.set_result(answer)
            elif waiting is not None and not waiting.done():
                waiting.set_result(answer)
        gone = JsClientError(f"{self.name}: the js client exited{self._tail()}")
        for waiting in self._pending.values():
            if not waiting.done():
                waiting.set_exception(gone)
        if not self._ready.done():
            self._ready.set_exception(gone)

    async def _read_stderr(self) -> None:
        assert self._process.stderr is not None
        async for line in self._process.stderr:
            self._stderr.append(line.decode(errors="replace").rstrip())

    async def call(self, cmd: str, within: float = 30.0, **fields: Any) -> dict[str, Any]:
        """Run one command, given ``within`` seconds; its result, or JsClientError with the
        client's reason."""
        stdin = self._process.stdin
        if stdin is None or stdin.is_closing() or self._process.returncode is not None:
            raise JsClientError(f"{self.name}: the js client is not running{self._tail()}")
        ident = next(self._ids)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[ident] = answer
        message = {"id": ident, "cmd": cmd, "timeout": within, **fields}
        stdin.write((json.dumps(message) + "\n").encode())
        await stdin.drain()
        try:
            got = await asyncio.wait_for(answer, within + MARGIN)
        except TimeoutError:
            raise JsClientError(f"{self.name}: {cmd} got no answer{self._tail()}") from None
        finally:
            self._pending.pop(ident, None)
        if not got.get("ok"):
            raise JsClientError(f"{self.name}: {cmd} failed: {got.get('error')}")
        result: dict[str, Any] = got.get("result") or {}
        return result

    async def login(
        self, homeserver: str, user: str, password: str, device_id: str | None = None
    ) -> str:
        """Log in, start syncing with crypto, and wait until our device keys are published."""
        done = await self.call(
            "login", homeserver=homeserver, user=user, password=password, device_id=device_id
        )
        self.user_id, self.device_id = str(done["user_id"]), str(done["device_id"])
        return self.device_id

    async def wait_for_event(
        self,
        room: str | None = None,
        *,
        sender: str | None = None,
        contains: str | None = None,
        type: str | None = None,
        event_id: str | None = None,
        within: float = 30.0,
        skip: Iterable[str] = (),
        undecryptable: bool = False,
    ) -> SeenEvent:
        """The first timeline event that matches every given filter, decrypted.

        Without ``type`` or ``event_id`` only ``m.room.message`` events match; ``contains`` is
        a substring of the body; ``skip`` names event IDs already seen, to wait for a later one.
        An event the client cannot decrypt (yet: its key may still come) matches only with
        ``undecryptable``; its ``decryption_failure`` then says why.
        """
        raw = await self.call(
            "wait_for_event",
            within,
            room=room,
            sender=sender,
            contains=contains,
            type=type,
            event_id=event_id,
            undecryptable=undecryptable,
            **{"except": list(skip)},
        )
        return SeenEvent.parse(raw)

    async def wait_for_invite(self, inviter: str | None = None, within: float = 30.0) -> str:
        """Accept the first invitation (from ``inviter``); the room's ID."""
        return str((await self.call("wait_for_invite", within, inviter=inviter))["room_id"])

    async def join(self, room: str, within: float = 30.0) -> str:
        return str((await self.call("join", within, room=room))["room_id"])

    async def send_text(self, room: str, text: str, within: float = 30.0) -> str:
        """Send ``text`` as ``m.text`` in an encrypted room; the event's ID."""
        return str((await self.call("send_text", within, room=room, text=text))["event_id"])

    async def react(self, room: str, event_id: str, key: str, within: float = 30.0) -> str:
        """React to ``event_id`` with ``key`` (encrypted, as Element sends reactions)."""
        sent = await self.call("react", within, room=room, event_id=event_id, key=key)
        return str(sent["event_id"])

    async def close(self) -> None:
        """Stop syncing and end the process (killed if it does not end within 5 s)."""
        process = self._process
        if process.returncode is None and process.stdin is not None:
            with contextlib.suppress(ConnectionError, JsClientError, TimeoutError):
                await asyncio.wait_for(self.call("stop", 3.0), 5)
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


@asynccontextmanager
async def js_client(name: str = "member") -> AsyncIterator[JsClient]:
    """One js client for the block; stopped (or killed) when it ends."""
    client = await JsClient.start(name)
    try:
        yield client
    finally:
        await client.close()


JsClients = Callable[..., Awaitable[JsClient]]
"""Start one more js client: ``await js_clients("officer")``."""


@pytest.fixture(name="js_clients")
async def js_clients_fixture() -> AsyncIterator[JsClients]:
    """Start js clients on demand; all of them end with the test."""
    started: list[JsClient] = []

    async def start(name: str = "member") -> JsClient:
        client = await JsClient.start(name)
        started.append(client)
        return client

    try:
        yield start
    finally:
        await asyncio.gather(*(c.close() for c in started), return_exceptions=True)
