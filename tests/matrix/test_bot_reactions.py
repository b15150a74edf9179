"""A reaction is handled beside the sync loop: commands are not held up, and none is lost.

A reaction's handler may wait seconds (for a bulletin's record, or through every pause when the
reaction is on a colleague's message). A real Synapse, a person at an encrypted client, and a
handler the test holds: meanwhile the bot answers commands, its sync token stays before the
reaction, and a stop in between hands the reaction over again after the restart.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import nio

from bots.bot import Bot
from bots.commands import Arguments, CommandRegistry, Context, Reply
from bots.synapse_admin import SynapseAdmin
from phenomena.partners import Member
from phenomena.storage.database import Database
from phenomena.storage.sync_tokens import SqlSyncTokens
from tests.support.bots import running_bot, wait_until_joined, writer_and_bot
from tests.support.people import Person
from tests.support.synapse import LocalHomeserver


class HeldReactions:
    """A reaction handler that records each reaction and returns once ``let_go`` is set."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.reached = asyncio.Event()
        self.let_go = asyncio.Event()

    async def __call__(self, member: Member | None, event_id: str, target: str, key: str) -> str:
        self.seen.append(event_id)
        self.reached.set()
        await self.let_go.wait()
        return "acknowledged"


def pings() -> CommandRegistry:
    commands = CommandRegistry()

    @commands.command("ping", help="answer pong", usage="ping")
    async def ping(context: Context, args: Arguments) -> Reply:
        return Reply("pong")

    return commands


def pongs(person: Person, room_id: str) -> int:
    return sum(
        1
        for r, e in person.received
        if r == room_id and isinstance(e, nio.RoomMessageNotice) and e.body == "pong"
    )


async def test_a_slow_reaction_holds_up_no_command_and_survives_a_stop(
    db: Database, homeserver: LocalHomeserver, admin: SynapseAdmin, tmp_path: Path
) -> None:
    scene = await writer_and_bot(homeserver, admin, tmp_path / "writer-keys")
    writer, session = scene.writer, scene.session
    tokens = SqlSyncTokens(db, f"{session.user_id}/{session.device_id}")
    store = tmp_path / "bot-store"
    store.mkdir()
    reactions = HeldReactions()

    def bot() -> AbstractAsyncContextManager[Bot]:
        return running_bot(
            homeserver.url,
            session,
            store,
            pings(),
            scene.member_of,
            on_reaction=reactions,
            sync_tokens=tokens,
        )

    async def ping() -> None:
        """Within 5 s, a new answer (read-only ones may come again after a replay)."""
        before = pongs(writer, room)
        await writer.say(room, "!ping")
        await writer.wait_for(lambda r, e: pongs(writer, room) > before, within=5)

    try:
        async with bot():
            room = await writer.create_encrypted_room(session.user_id, is_direct=True)
            await wait_until_joined(admin, room, session.user_id)
            colleague = await writer.say(room, "the burglars came by bike")
            reaction = await writer.react(room, colleague, "👍")
            await asyncio.wait_for(reactions.reached.wait(), 10)

            await ping()  # answered while the reaction is still being handled
            await asyncio.sleep(0.5)  # the token would be saved 0.2 s after a sync
            held = await tokens.load()
            await ping()
            await asyncio.sleep(0.5)
            assert await tokens.load() == held, "the token moved past an unfinished reaction"
        assert reactions.seen == [reaction]

        # stopped before the reaction was through: it comes again after the restart
        reactions.let_go.set()
        async with bot():
            for _ in range(100):
                if reactions.seen.count(reaction) == 2:
                    break
                await asyncio.sleep(0.1)
            assert reactions.seen == [reaction, reaction]
            await ping()
            await asyncio.sleep(0.5)
            assert await tokens.load() != held  # through now: the token moves on
    finally:
        await writer.close()
