"""The room directory in prevnet's database: room keys to the room IDs prevnet created."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import delete, select

from phenomena.room_keys import RoomRecord
from phenomena.storage.database import Database
from phenomena.storage.locks import waiting_for
from phenomena.storage.schema import RoomRow
from phenomena.storage.unit_of_work import utc_now


def _record(row: RoomRow) -> RoomRecord:
    return RoomRecord(row.key, row.room_id, row.complete)


class SqlRoomDirectory:
    """Rooms by key; ``creating`` serialises creation across tasks and (on PostgreSQL) processes."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = db
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str) -> RoomRecord | None:
        """The room recorded under ``key``."""
        async with self._db.sessions() as session:
            row = await session.get(RoomRow, key)
            return None if row is None else _record(row)

    async def key_of(self, room_id: str) -> str | None:
        """The key a room is recorded under (None: not one of prevnet's rooms)."""
        async with self._db.sessions() as session:
            found: str | None = await session.scalar(
                select(RoomRow.key).where(RoomRow.room_id == room_id)
            )
            return found

    async def all(self, kind: str | None = None) -> list[RoomRecord]:
        """Every recorded room, or those of one kind."""
        query = select(RoomRow).order_by(RoomRow.key)
        if kind is not None:
            query = query.where(RoomRow.kind == kind)
        async with self._db.sessions() as session:
            return [_record(row) for row in (await session.scalars(query)).all()]

    async def record(self, record: RoomRecord) -> None:
        """Record a room under its key (replacing what the key held)."""
        async with self._db.sessions() as session, session.begin():
            row = await session.get(RoomRow, record.key)
            if row is None:
                session.add(
                    RoomRow(
                        key=record.key,
                        room_id=record.room_id,
                        kind=record.kind,
                        complete=record.complete,
                        created_at=self._clock(),
                    )
                )
                return
            if row.room_id != record.room_id:
                row.created_at = self._clock()
            row.room_id, row.kind, row.complete = record.room_id, record.kind, record.complete

    async def forget(self, key: str) -> None:
        """Forget the room recorded under ``key``."""
        async with self._db.sessions() as session, session.begin():
            await session.execute(delete(RoomRow).where(RoomRow.key == key))

    @asynccontextmanager
    async def creating(self, key: str) -> AsyncIterator[None]:
        """Exclusive use of ``key`` across this process's tasks and, on PostgreSQL, processes."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock, waiting_for(self._db, f"room:{key}"):
            yield
