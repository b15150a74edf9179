"""Commands typed while the bot was down do not hold up its start-up.

The catch-up sync answers them before the dispatcher runs, so the bulletins they hand over
cannot go out yet: waiting for them there would only delay the start. A real Synapse, a person
at an encrypted client, and three ``!publish`` typed while the bot is stopped.
"""

from __future__ import annotations

import time
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import nio

from bots.bot import Bot
from bots.commands import Arguments, CommandRegistry, Context, Reply
from bots.synapse_admin import SynapseAdmin
from phenomena.storage.database import Database
from phenomena.storage.sync_tokens import SqlSyncTokens
from tests.support.bots import running_bot, wait_until_joined, writer_and_bot
from tests.support.synapse import LocalHomeserver

COMMANDS = 5
REMOVED_HOLD_SECONDS = 2.0  # what the sync hold (SETTLE_SECONDS) cost per command typed while down


def publishing(handed_over: list[str]) -> CommandRegistry:
    commands = CommandRegistry()

    @commands.command("publish", help="hand a bulletin over", usage="publish")
    async def publish(context: Context, args: Arguments) -> Reply:
        handed_over.append(context.event_id or "")  # the dispatcher is not running yet
        return Reply("handed over")

    return commands


async def test_commands_typed_while_down_do_not_delay_the_start(
    db: Database, homeserver: LocalHomeserver, admin: SynapseAdmin, tmp_path: Path
) -> None:
    scene = await writer_and_bot(homeserver, admin, tmp_path / "writer-keys")
    writer, session = scene.writer, scene.session
    tokens = SqlSyncTokens(db, f"{session.user_id}/{session.device_id}")
    store = tmp_path / "bot-store"
    store.mkdir()
    handed_over: list[str] = []

    def bot() -> AbstractAsyncContextManager[Bot]:
        return running_bot(
            homeserver.url,
            session,
            store,
            publishing(handed_over),
            scene.member_of,
            sync_tokens=tokens,
        )

    def answers() -> int:
        return sum(
            1
            for r, e in writer.received
            if r == room and isinstance(e, nio.RoomMessageNotice) and e.body == "handed over"
        )

    try:
        async with bot():
            room = await writer.create_encrypted_room(session.user_id, is_direct=True)
            await wait_until_joined(admin, room, session.user_id)
        for _ in range(COMMANDS):  # the bot is down
            await writer.say(room, "!publish")
        began = time.monotonic()
        async with bot():
            started = time.monotonic() - began
            await writer.wait_for(lambda r, e: answers() == COMMANDS, within=10)
        assert len(handed_over) == COMMANDS
        # The removed hold kept the sync 2 s per command waiting for its deliveries: a start-up
        # with it lasts at least that long, whatever the machine; one without it is shorter.
        assert started < COMMANDS * REMOVED_HOLD_SECONDS, f"start-up took {started:.1f} s"
    finally:
        await writer.close()
