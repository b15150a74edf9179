"""The clients the fan-out benchmark times prevnet against: its observer and its echo floor.

The observer notes when each bot message reaches it; the echo floor is a plain matrix-nio client
that sends prepared bulletins as soon as the author speaks, in a process of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import uuid

import nio


class Observer:
    """A member in every zone room, noting when each bot message arrives (no decryption)."""

    def __init__(self, url: str, user_id: str, bot: str) -> None:
        self.client = nio.AsyncClient(
            url, user_id, config=nio.AsyncClientConfig(encryption_enabled=False)
        )
        self.bot = bot
        self.arrivals: list[tuple[float, str, str]] = []
        self.client.add_event_callback(self._seen, (nio.Event,))

    async def _seen(self, room: nio.MatrixRoom, event: nio.Event) -> None:
        source = getattr(event, "source", {}) or {}
        if source.get("sender") == self.bot and "m.relates_to" not in source.get("content", {}):
            self.arrivals.append((time.perf_counter(), room.room_id, source.get("event_id", "")))

    async def rooms_seen_after(self, start: float, rooms: set[str], within: float = 120) -> float:
        deadline = time.perf_counter() + within
        while time.perf_counter() < deadline:
            seen = {r: t for t, r, _ in self.arrivals if t >= start and r in rooms}
            if set(seen) == rooms:
                return max(seen.values()) - start
            await asyncio.sleep(0.002)
        raise TimeoutError(f"only {len(seen)} of {len(rooms)} rooms got the message")


async def send_all(client: nio.AsyncClient, messages: list[tuple[str, dict[str, str]]]) -> None:
    """The raw sends: one after the other, encrypted, each with a fresh transaction ID."""
    for room_id, content in messages:
        await client.room_send(
            room_id,
            "m.room.message",
            content,
            tx_id=uuid.uuid4().hex,
            ignore_unverified_devices=True,
        )


class EchoFloor:
    """A plain matrix-nio client that sends prepared bulletins when the author next speaks.

    It reacts in a sync callback, as prevnet's bot does, to the author's next message in the
    origin room, decrypted or not (decrypting is work it may skip, so the floor stays a floor).
    It runs in a process of its own (``echo_floor``), as prevnet does, so that the observer's
    work in the benchmark's process does not slow it down.
    """

    def __init__(self, client: nio.AsyncClient, author: str, origin: str) -> None:
        self.client = client
        self.author = author
        self.origin = origin
        self._armed: list[tuple[str, dict[str, str]]] | None = None
        self.sent = asyncio.Event()
        client.add_event_callback(self._on_event, (nio.RoomMessageText, nio.MegolmEvent))

    def arm(self, messages: list[tuple[str, dict[str, str]]]) -> None:
        self.sent.clear()
        self._armed = messages

    async def _on_event(self, room: nio.MatrixRoom, event: nio.Event) -> None:
        if self._armed is None or room.room_id != self.origin or event.sender != self.author:
            return
        messages, self._armed = self._armed, None
        await send_all(self.client, messages)
        self.sent.set()


async def echo_floor(config: dict[str, str]) -> None:
    """The echo client's process: one JSON line of bulletins on stdin arms it for one message.

    It syncs only while armed, so it takes no time from prevnet's runs; what it missed is read
    before it says ``armed``.
    """
    client = nio.AsyncClient(
        config["url"],
        config["user_id"],
        store_path=config["store"],
        config=nio.AsyncClientConfig(encryption_enabled=True),
    )
    await client.login(config["password"], device_name="echo floor")
    await client.keys_upload()
    await client.sync(timeout=0, full_state=True)
    echo = EchoFloor(client, config["author"], config["origin"])
    stdin = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    print("ready", flush=True)
    while line := await stdin.readline():
        await client.sync(timeout=0)
        echo.arm([(room, content) for room, content in json.loads(line)])
        syncing = asyncio.create_task(client.sync_forever(timeout=30000))
        print("armed", flush=True)
        await echo.sent.wait()
        syncing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await syncing
        print("sent", flush=True)
    await client.close()
