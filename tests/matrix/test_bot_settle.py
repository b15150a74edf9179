"""After a command, the bot lets what it handed over go out before it syncs again, but not forever.

A real Synapse and a person at an encrypted client. The deliveries are stood in for by a gate
the test opens: while it is closed after a command handed something over, a second command is
not read; once it opens, or once ``SETTLE_SECONDS`` have passed, the bot reads and answers it.
A delivery that no message handed over holds nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import nio
import pytest

import bots.bot
from bots.bot import Bot
from bots.commands import Arguments, CommandRegistry, Context, Reply
from bots.synapse_admin import SynapseAdmin
from tests.support.bots import running_bot as start_bot
from tests.support.bots import wait_until_joined, writer_and_bot
from tests.support.people import Person
from tests.support.synapse import LocalHomeserver


class Deliveries:
    """What ``!publish`` (or the test itself) hands over: through once ``gone_out`` is set."""

    def __init__(self) -> None:
        self.handed_over = 0
        self.gone_out = asyncio.Event()

    def hand_over(self) -> None:
        self.handed_over += 1
        self.gone_out.clear()

    async def handed_over_delivered(self) -> None:
        await self.gone_out.wait()


def registry(deliveries: Deliveries) -> CommandRegistry:
    commands = CommandRegistry()

    @commands.command("publish", help="hand a delivery over", usage="publish")
    async def publish(context: Context, args: Arguments) -> Reply:
        deliveries.hand_over()
        return Reply("handed over")

    @commands.command("ping", help="answer pong", usage="ping")
    async def ping(context: Context, args: Arguments) -> Reply:
        return Reply("pong")

    return commands


def notice(room_id: str, text: str) -> Callable[[str, nio.Event], bool]:
    return lambda r, e: r == room_id and isinstance(e, nio.RoomMessageNotice) and e.body == text


def count(person: Person, room_id: str, text: str) -> int:
    return sum(
        1
        for r, e in person.received
        if r == room_id and isinstance(e, nio.RoomMessageNotice) and e.body == text
    )


async def test_the_next_sync_waits_for_a_commands_deliveries_within_a_bound(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scene = await writer_and_bot(homeserver, admin, tmp_path / "writer-keys")
    writer, session = scene.writer, scene.session
    (tmp_path / "bot-store").mkdir()
    deliveries = Deliveries()

    @asynccontextmanager
    async def running_bot() -> AsyncIterator[Bot]:
        async with start_bot(
            homeserver.url,
            session,
            tmp_path / "bot-store",
            registry(deliveries),
            scene.member_of,
            deliveries=deliveries,
        ) as bot:
            try:
                yield bot
            finally:
                deliveries.gone_out.set()  # so that stopping does not wait for the bound

    try:
        monkeypatch.setattr(bots.bot, "SETTLE_SECONDS", 60.0)
        async with running_bot():
            room = await writer.create_encrypted_room(session.user_id, is_direct=True)
            await wait_until_joined(admin, room, session.user_id)
            await writer.say(room, "!ping")
            await writer.wait_for(notice(room, "pong"))  # the bot reads and answers

            await writer.say(room, "!publish")
            await writer.wait_for(notice(room, "handed over"))
            await writer.say(room, "!ping")
            await asyncio.sleep(1.5)  # an answer would take a tenth of that
            await writer.client.sync(timeout=500)
            assert count(writer, room, "pong") == 1, "the bot synced while delivering"
            deliveries.gone_out.set()
            await writer.wait_for(lambda r, e: count(writer, room, "pong") == 2)

            # a delivery that no message handed over (the scheduler's) holds no command
            deliveries.hand_over()
            await writer.say(room, "!ping")
            await writer.wait_for(lambda r, e: count(writer, room, "pong") == 3, within=5)
            assert not deliveries.gone_out.is_set()

        # a delivery that never ends holds the sync no longer than the bound
        monkeypatch.setattr(bots.bot, "SETTLE_SECONDS", 0.5)
        async with running_bot():
            await writer.say(room, "!publish")
            await writer.wait_for(lambda r, e: count(writer, room, "handed over") == 2)
            await writer.say(room, "!ping")
            await writer.wait_for(lambda r, e: count(writer, room, "pong") == 4, within=10)
            assert not deliveries.gone_out.is_set()
    finally:
        await writer.close()
