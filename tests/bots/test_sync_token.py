"""The bot's sync token: saved once per sync, after that sync's events are handled, in order."""

from __future__ import annotations

import asyncio
import contextlib
from types import SimpleNamespace
from typing import Any

import nio

from bots.bot import Bot
from bots.commands import CommandRegistry
from phenomena.partners import Member


class Tokens:
    """What the database holds (``SqlSyncTokens``), with every write kept."""

    def __init__(self) -> None:
        self.writes: list[str] = []
        self.gate = asyncio.Event()  # a write finishes once it is open
        self.gate.set()
        self.writing = asyncio.Event()
        self.failures = 0  # how many of the next writes fail

    async def load(self) -> str | None:
        return self.writes[-1] if self.writes else None

    async def save(self, token: str) -> None:
        self.writing.set()
        await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database unavailable")
        self.writes.append(token)


async def nobody(_: str) -> Member | None:
    return None


async def no_room(_: str) -> str | None:
    return None


def synced(token: str) -> Any:
    return SimpleNamespace(next_batch=token)


async def test_each_sync_is_saved_once_its_events_are_handled() -> None:
    tokens = Tokens()
    client = nio.AsyncClient("http://127.0.0.1:9", "@bot:prevnet.test")
    bot = Bot(client, CommandRegistry(), nobody, no_room, sync_tokens=tokens)
    try:
        await bot._on_sync(synced("s1"))
        assert tokens.writes == ["s1"]  # saved before the next sync begins
        tokens.failures = 1
        await bot._on_sync(synced("s2"))  # not saved: a restart would repeat s2's events
        assert tokens.writes == ["s1"]
        await bot._on_sync(synced("s3"))
        assert tokens.writes == ["s1", "s3"]
    finally:
        await client.close()


async def test_the_saved_token_never_moves_back_when_the_bot_stops_mid_save() -> None:
    tokens = Tokens()
    client = nio.AsyncClient("http://127.0.0.1:9", "@bot:prevnet.test")
    bot = Bot(client, CommandRegistry(), nobody, no_room, sync_tokens=tokens)
    try:
        await bot._on_sync(synced("s0"))
        tokens.gate.clear()
        tokens.writing.clear()
        saving = asyncio.create_task(bot._on_sync(synced("s1")))
        await asyncio.wait_for(tokens.writing.wait(), 5)  # s1 is being written
        saving.cancel()  # stopped: the sync loop is cancelled mid-save
        with contextlib.suppress(asyncio.CancelledError):
            await saving
        tokens.gate.set()  # the write in flight is let finish, not cut in half
        await bot._on_sync(synced("s2"))
        assert tokens.writes == ["s0", "s1", "s2"], "the saved token moved back"
    finally:
        await client.close()
