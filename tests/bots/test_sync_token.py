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
