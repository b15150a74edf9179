"""A long-running bot keeps nothing per event it handled: its memory does not grow with them."""

from __future__ import annotations

import tracemalloc
from types import SimpleNamespace

import nio

from bots.bot import Bot
from bots.commands import CommandRegistry
from phenomena.partners import Member


async def nobody(_: str) -> Member | None:
    return None


async def no_room(_: str) -> str | None:
    return None


def bot_memory() -> int:
    """Bytes still allocated by ``bots/bot.py`` code."""
    snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(True, "*bots/bot.py")])
    return sum(stat.size for stat in snapshot.statistics("filename"))


async def test_handling_many_messages_leaves_no_trace_in_the_bots_memory() -> None:
    client = nio.AsyncClient("http://127.0.0.1:9", "@bot:prevnet.test")
    bot = Bot(client, CommandRegistry(), nobody, no_room)
    bot._listening = True  # as after the first sync
    room = SimpleNamespace(room_id="!room:prevnet.test", encrypted=False, users={})

    async def messages(first: int, last: int) -> None:
        for n in range(first, last):
            event = SimpleNamespace(
                sender="@someone:prevnet.test",
                event_id=f"$event-{n}",
                decrypted=False,
                source={"content": {}},
                body="the burglars came by bike",
            )
            await bot._on_message(room, event)

    tracemalloc.start()
    try:
        await messages(0, 1_000)
        before = bot_memory()
        await messages(1_000, 30_000)
        grown = bot_memory() - before
    finally:
        tracemalloc.stop()
        await client.close()
    assert grown < 64_000, f"the bot kept {grown} bytes for 29,000 messages"
