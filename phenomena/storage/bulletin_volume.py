"""How many bulletins each room got in a period, by their alert's priority: what the weekly
budget counts and the weekly digest shows (from the bulletin ledger: what was really posted)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select

from phenomena.budget import RoomVolume
from phenomena.priority import Priority
from phenomena.storage.database import Database
from phenomena.storage.schema import AlertRow, BulletinRow


class SqlBulletinVolume:
    """Counts of recorded bulletins (one short read per call)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def volumes(
        self, since: datetime, until: datetime, rooms: Collection[str] | None = None
    ) -> dict[str, RoomVolume]:
        """Normal and urgent bulletins first posted in ``[since, until)``, by room key (rooms
        without any are left out; ``rooms`` narrows the count to those)."""
        query = (
            select(BulletinRow.room, AlertRow.priority, func.count())
            .join(AlertRow, AlertRow.id == BulletinRow.alert_id)
            .where(BulletinRow.sent_at >= since, BulletinRow.sent_at < until)
            .group_by(BulletinRow.room, AlertRow.priority)
        )
        if rooms is not None:
            if not rooms:
                return {}
            query = query.where(BulletinRow.room.in_(sorted(set(rooms))))
        counts: dict[str, dict[str, int]] = {}
        async with self._db.sessions() as session:
            for room, priority, count in await session.execute(query):
                counts.setdefault(room, {})[priority] = int(count)
        # a bulletin of an alert made info since was posted as normal: the room got it, and
        # folding it afterwards must not free the week's budget for another
        return {
            room: RoomVolume(
                normal=by.get(Priority.NORMAL.value, 0) + by.get(Priority.INFO.value, 0),
                urgent=by.get(Priority.URGENT.value, 0),
            )
            for room, by in counts.items()
        }
