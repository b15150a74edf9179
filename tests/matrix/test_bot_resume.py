"""The bot after a restart: what was typed while it was down is answered, nothing twice.

A real Synapse, a person at an encrypted client, and the bot stopped and started again on the
same device and key store, with its sync token in prevnet's database (SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path

import nio

from bots.bot import Bot
from bots.commands import Arguments, CommandRegistry, Context, Reply
from bots.synapse_admin import SynapseAdmin
from phenomena.storage.database import Database
from phenomena.storage.sync_tokens import SqlSyncTokens
from phenomena.storage.unit_of_work import SqlUnitOfWork
from tests.support.bots import running_bot as start_bot
from tests.support.bots import wait_until_joined, writer_and_bot
from tests.support.people import Person
from tests.support.synapse import LocalHomeserver


def notes_registry(db: Database) -> CommandRegistry:
    """``!note <word>``: writes one audit row, at most once per chat event, and says so."""
    registry = CommandRegistry()

    @registry.command("note", help="note a word", usage="note WORD")
    async def note(context: Context, args: Arguments) -> Reply:
        async with SqlUnitOfWork(db.sessions, once=context.event_id) as uow:
            await uow.audit.record(
                context.sender, "note", args.positional[0], {}, datetime.now(UTC)
            )
            await uow.commit()
        return Reply(f"noted {args.positional[0]}")

    return registry


async def notes(db: Database) -> list[str]:
    async with SqlUnitOfWork(db.sessions) as uow:
        return sorted(e.subject for e in await uow.audit.list(subject=None) if e.action == "note")


def replies(person: Person, room_id: str, text: str) -> list[nio.Event]:
    return [
        e
        for r, e in person.received
        if r == room_id and isinstance(e, nio.RoomMessageNotice) and e.body == text
    ]


def reply_is(room_id: str, text: str) -> Callable[[str, nio.Event], bool]:
    return lambda r, e: r == room_id and isinstance(e, nio.RoomMessageNotice) and e.body == text


async def test_commands_typed_while_the_bot_was_down_are_answered_and_none_twice(
    db: Database, homeserver: LocalHomeserver, admin: SynapseAdmin, tmp_path: Path
) -> None:
    scene = await writer_and_bot(homeserver, admin, tmp_path / "writer-keys")
    writer, session = scene.writer, scene.session
    tokens = SqlSyncTokens(db, f"{session.user_id}/{session.device_id}")
    store = tmp_path / "bot-store"
    store.mkdir()

    def running_bot() -> AbstractAsyncContextManager[Bot]:
        """The bot process: same device and key store each time, as after a restart."""
        return start_bot(
            homeserver.url, session, store, notes_registry(db), scene.member_of, sync_tokens=tokens
        )

    try:
        async with running_bot():
            room = await writer.create_encrypted_room(session.user_id, is_direct=True)
            await wait_until_joined(admin, room, session.user_id)
            await writer.say(room, "!note one")
            await writer.wait_for(reply_is(room, "noted one"))

        # the bot is down: the person types anyway
        await writer.say(room, "!note two")
        async with running_bot():
            await writer.wait_for(reply_is(room, "noted two"))
            before_three = await tokens.load()
            await writer.say(room, "!note three")
            await writer.wait_for(reply_is(room, "noted three"))

        # a crash after "three" was carried out but before its sync token was saved
        assert before_three is not None
        await tokens.save(before_three)
        assert await tokens.load() == before_three
        async with running_bot():
            await writer.say(room, "!note four")
            await writer.wait_for(reply_is(room, "noted four"))
            await asyncio.sleep(1)  # a repeated answer, if any, would be here by now
            await writer.client.sync(timeout=1000)

        assert await notes(db) == ["four", "one", "three", "two"]
        for word in ("one", "two", "three", "four"):
            assert len(replies(writer, room, f"noted {word}")) == 1, word
        assert await tokens.load() != before_three  # the replayed sync moved the token on
    finally:
        await writer.close()
