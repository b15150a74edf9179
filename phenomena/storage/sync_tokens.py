"""The bot's sync token in prevnet's database, written once a sync's events are handled.

matrix-nio can keep the token in its own store, but it writes it before handing the events to
the bot (a command lost if the process dies in between) and with a blocking write that holds up
every sync. Here the bot saves it afterwards, without blocking.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from phenomena.storage.database import Database
from phenomena.storage.schema import SyncTokenRow
from phenomena.storage.unit_of_work import utc_now
from phenomena.storage.upserts import upsert


class SqlSyncTokens:
    """The sync token of one device of the bot (``@prevnet:server/DEVICEID``)."""

    def __init__(self, db: Database, device: str, clock: Callable[[], datetime] = utc_now):
        self._db = db
        self.device = device
        self._clock = clock
        self._last: str | None = None

    async def load(self) -> str | None:
        """The token to resume from, or None if this device never synced."""
        async with self._db.sessions() as session:
            row = await session.get(SyncTokenRow, self.device)
            self._last = row.token if row is not None else None
            return self._last

    async def save(self, token: str) -> None:
        """Remember ``token`` (nothing to write if it did not move)."""
        if token == self._last:
            return
        values = {"device": self.device, "token": token, "saved_at": self._clock()}
        async with self._db.sessions() as session, session.begin():
            await upsert(session, SyncTokenRow, ["device"], values)
        self._last = token
