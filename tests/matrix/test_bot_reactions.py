"""Reactions are handled in the bot's ordinary event flow, and none is lost across a restart.

A real Synapse, a person at an encrypted client, and a reaction handler that records what it
is given: a reaction is handed over with its target and key, the sync token moves past it once
it is handled, and a reaction made while the bot is down is handled after the restart.
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
from tests.support.synapse import LocalHomeserver


class Reactions:
    """A reaction handler that records each reaction it is given."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []  # (event, target, key)
        self.rooms: list[str] = []  # where each reaction was made
        self.changed = asyncio.Event()

    async def __call__(
        self, member: Member | None, event_id: str, target: str, key: str, room_id: str
    ) -> str:
        assert member is not None
        self.seen.append((event_id, target, key))
        self.rooms.append(room_id)
        self.changed.set()
        return "pending"

    async def until(self, count: int) -> None:
        while len(self.seen) < count:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 10)


def pings() -> CommandRegistry:
    commands = CommandRegistry()

    @commands.command("ping", help="answer pong", usage="ping")
    async def ping(context: Context, args: Arguments) -> Reply:
        return Reply("pong")

    return commands


async def test_reactions_are_handled_in_the_event_flow_and_survive_a_restart(
    db: Database, homeserver: LocalHomeserver, admin: SynapseAdmin, tmp_path: Path
) -> None:
    scene = await writer_and_bot(homeserver, admin, tmp_path / "writer-keys")
    writer, session = scene.writer, scene.session
    tokens = SqlSyncTokens(db, f"{session.user_id}/{session.device_id}")
    store = tmp_path / "bot-store"
    store.mkdir()
    reactions = Reactions()

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

    def pongs() -> int:
        return sum(
            1
            for r, e in writer.received
            if r == room and isinstance(e, nio.RoomMessageNotice) and e.body == "pong"
        )

    try:
        async with bot():
            room = await writer.create_encrypted_room(session.user_id, is_direct=True)
            await wait_until_joined(admin, room, session.user_id)
            colleague = await writer.say(room, "the burglars came by bike")
            first = await writer.react(room, colleague, "👍")
            await reactions.until(1)
            assert reactions.seen == [(first, colleague, "👍")]
            assert reactions.rooms == [room]  # the room it was made in, to check against
            before = await tokens.load()
            await writer.say(room, "!ping")
            await writer.wait_for(lambda r, e: pongs() == 1, within=10)
            assert await tokens.load() != before  # the syncs after the reaction were saved

        second = await writer.react(room, colleague, "❤️")  # the bot is down
        async with bot():
            await reactions.until(2)
            await writer.say(room, "!ping")
            await writer.wait_for(lambda r, e: pongs() == 2, within=10)
        assert [event for event, _, _ in reactions.seen] == [first, second]
    finally:
        await writer.close()
