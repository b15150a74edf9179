"""A prevnet bot running against the test homeserver, on one device and key store.

Started again on the same store it is the same bot after a restart; tests give it their own
commands and member lookup.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import nio

from bots.bot import Bot, MemberLookup
from bots.commands import CommandRegistry
from bots.synapse_admin import Session, SynapseAdmin


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
    client = nio.AsyncClient(
        url,
        session.user_id,
        device_id=session.device_id,
        store_path=str(store),
        config=nio.AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
    )
    client.restore_login(session.user_id, session.device_id, session.access_token)
    bot = Bot(client, commands, member_of, no_room_key, **options)
    stop = asyncio.Event()
    task = asyncio.create_task(bot.run(stop))
    try:
        await asyncio.wait_for(bot.ready.wait(), 30)
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
