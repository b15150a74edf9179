"""The bot's sync token: saved after its events are handled, a few times a second at most."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import nio

from bots.bot import Bot
from bots.commands import CommandRegistry
from bots.sync_progress import TOKEN_PAUSE
from phenomena.partners import Member


class Tokens:
    """What the database holds (``SqlSyncTokens``), with every write kept."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    async def load(self) -> str | None:
        return self.writes[-1] if self.writes else None

    async def save(self, token: str) -> None:
        await asyncio.sleep(0.01)  # a write takes a while: syncs may come meanwhile
        self.writes.append(token)


async def nobody(_: str) -> Member | None:
    return None


async def no_room(_: str) -> str | None:
    return None


def synced(token: str) -> Any:
    return SimpleNamespace(next_batch=token)


async def test_a_burst_of_syncs_is_saved_once_with_the_newest_token() -> None:
    tokens = Tokens()
    client = nio.AsyncClient("http://127.0.0.1:9", "@bot:prevnet.test")
    bot = Bot(client, CommandRegistry(), nobody, no_room, sync_tokens=tokens)
    try:
        for token in ("s1", "s2", "s3"):
            await bot._on_sync(synced(token))
        assert tokens.writes == []  # not yet: the first bulletins go out first
        await asyncio.sleep(TOKEN_PAUSE + 0.05)
        await bot._on_sync(synced("s4"))  # a later sync: saved after a pause of its own
        await asyncio.sleep(TOKEN_PAUSE + 0.1)
        assert tokens.writes == ["s3", "s4"]
        await asyncio.sleep(TOKEN_PAUSE + 0.05)
        assert tokens.writes == ["s3", "s4"]  # nothing new, nothing written
    finally:
        await client.close()


async def test_stopping_saves_the_newest_token_at_once() -> None:
    tokens = Tokens()
    client = nio.AsyncClient("http://127.0.0.1:9", "@bot:prevnet.test")
    bot = Bot(client, CommandRegistry(), nobody, no_room, sync_tokens=tokens)
    try:
        await bot._on_sync(synced("s1"))
        await asyncio.wait_for(bot.flush_sync_token(), TOKEN_PAUSE / 2)
        assert await tokens.load() == "s1"
    finally:
        await client.close()


class GatedTokens(Tokens):
    """A database whose writes finish only once ``gate`` opens."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.writing = asyncio.Event()

    async def save(self, token: str) -> None:
        self.writing.set()
        await self.gate.wait()
        self.writes.append(token)


async def test_the_saved_token_never_moves_back_when_the_bot_stops_mid_save() -> None:
    tokens = GatedTokens()
    held, cut = asyncio.Event(), asyncio.Event()

    async def slow_reaction(member: Member | None, event_id: str, target: str, key: str) -> None:
        held.set()
        try:
            await asyncio.Event().wait()  # still being handled when the bot stops
        finally:
            cut.set()

    client = nio.AsyncClient("http://127.0.0.1:9", "@bot:prevnet.test")
    bot = Bot(client, CommandRegistry(), nobody, no_room, slow_reaction, sync_tokens=tokens)
    bot._listening = True  # as after the first sync
    try:
        tokens.gate.set()
        await bot._on_sync(synced("s0"))
        await asyncio.wait_for(bot.flush_sync_token(), 5)
        assert tokens.writes == ["s0"]
        tokens.gate.clear()
        tokens.writing.clear()
        await bot._on_sync(synced("s1"))
        await asyncio.wait_for(tokens.writing.wait(), 5)  # s1 is being written
        reaction = SimpleNamespace(
            sender="@someone:prevnet.test", event_id="$r", reacts_to="$b", key="👍"
        )
        await bot._on_reaction(SimpleNamespace(room_id="!r:prevnet.test"), reaction)
        await asyncio.wait_for(held.wait(), 5)
        await bot._on_sync(synced("s2"))  # the sync that brought the reaction
        stopping = asyncio.create_task(bot.flush_sync_token())
        await asyncio.wait_for(cut.wait(), 5)  # stopping cut the reaction short
        for _ in range(10):  # the stop goes on to wait for the write in flight
            await asyncio.sleep(0)
        tokens.gate.set()
        await asyncio.wait_for(stopping, 5)
        assert tokens.writes == ["s0", "s1"], "the saved token moved back"
    finally:
        await client.close()
