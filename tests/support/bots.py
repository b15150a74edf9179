"""A prevnet bot running against the test homeserver, on one device and key store.

Started again on the same store it is the same bot after a restart; tests give it their own
commands and member lookup.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bots.bot import Bot, MemberLookup, bot_client
from bots.commands import CommandRegistry
from bots.synapse_admin import Session, SynapseAdmin
from phenomena.partners import Member, Role
from tests.support.people import Person
from tests.support.synapse import LocalHomeserver

FIRST_SYNC_SECONDS = 240
"""How long a test bot's first sync may take: the session's bot account is in every room the
run's tests made, thousands by the end of a full run."""


@dataclass(frozen=True)
class Scene:
    """A member at an encrypted client, and a new session (device) of the test bot."""

    writer: Person
    member: Member
    session: Session

    async def member_of(self, user: str) -> Member | None:
        """The bot's member lookup: the writer is a member, anybody else a stranger."""
        return self.member if user == self.member.matrix_id else None


async def writer_and_bot(homeserver: LocalHomeserver, admin: SynapseAdmin, keys: Path) -> Scene:
    """A new user logged in with its keys in ``keys``, and the bot logged in on a new device."""
    writer_id = homeserver.user_id(homeserver.unique("writer"))
    await admin.put_user(writer_id, password="writer-pw")
    writer = Person(homeserver.url, writer_id, keys)
    await writer.login("writer-pw")
    member = Member(writer_id, "Writer", "zp-mons", frozenset({Role.MEMBER}))
    session = await admin.login(homeserver.bot.user_id, homeserver.bot_password)
    return Scene(writer, member, session)


async def no_room_key(room_id: str) -> str | None:
    """No room is one of prevnet's managed rooms."""
    return None


@asynccontextmanager
async def running_bot(
    url: str,
    session: Session,
    store: Path,
    commands: CommandRegistry,
    member_of: MemberLookup,
    **options: Any,
) -> AsyncIterator[Bot]:
    """The bot syncing until the block ends, then stopped as ``prevnet up`` stops it.

    ``store`` is an existing folder for its encryption keys.
    """
    client = bot_client(url, session, store)
    bot = Bot(client, commands, member_of, no_room_key, **options)
    stop = asyncio.Event()
    task = asyncio.create_task(bot.run(stop))
    try:
        await asyncio.wait_for(bot.ready.wait(), FIRST_SYNC_SECONDS)
        yield bot
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await client.close()


async def wait_until_joined(admin: SynapseAdmin, room_id: str, user_id: str) -> None:
    """Until ``user_id`` has joined (a bot accepts a member's invitation on its next sync)."""
    for _ in range(100):
        if (await admin.room_members(room_id)).get(user_id) == "join":
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{user_id} did not join {room_id} within 10 s")
