"""The bot's sync token in prevnet's database, written once a sync's events are handled.

matrix-nio can keep the token in its own store, but it writes it before handing the events to
the bot (a command lost if the process dies in between) and with a blocking write that holds up
every sync. Here the bot saves it afterwards, without blocking.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update

from phenomena.storage.database import Database
from phenomena.storage.schema import SyncTokenRow
from phenomena.storage.unit_of_work import utc_now


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
        now = self._clock()
        async with self._db.sessions() as session, session.begin():
            moved = await session.execute(
                update(SyncTokenRow)
                .where(SyncTokenRow.device == self.device)
                .values(token=token, saved_at=now)
            )
            if not getattr(moved, "rowcount", 0):  # this device's first token
                session.add(SyncTokenRow(device=self.device, token=token, saved_at=now))
        self._last = token
