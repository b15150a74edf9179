"""What an operator does with outbox events that failed: list them, retry them, drop them.

A dead letter (see ``phenomena.storage.outbox``) stays until someone decides: ``retry`` makes it
pending again with its attempts counted from zero (after the cause is fixed), ``drop`` records
that it will never be delivered. Both are written to the audit log with who did it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from phenomena.errors import DomainError, NotFound
from phenomena.storage.database import Database
from phenomena.storage.outbox import DEAD, DELIVERED, DROPPED, PENDING, OutboxEntry, entry_of
from phenomena.storage.repositories import SqlAuditLog
from phenomena.storage.schema import OutboxRow
from phenomena.storage.unit_of_work import utc_now

LIST_HINT = "`prevnet outbox list` shows the dead letters and the events still failing"


class DeadLetters:
    """The dead letters of every consumer (the bots, the bridge) and what is still failing."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = db
        self._clock = clock

    async def failed(self, limit: int = 200) -> Sequence[OutboxEntry]:
        """Dead letters and events that failed at least once and are still retried, oldest first."""
        troubled = or_(
            OutboxRow.state == DEAD,
            (OutboxRow.state == PENDING)
            & OutboxRow.delivered_at.is_(None)
            & (OutboxRow.attempts > 0),
        )
        async with self._db.sessions() as session:
            rows = await session.scalars(
                select(OutboxRow).where(troubled).order_by(OutboxRow.id).limit(limit)
            )
            return [entry_of(r) for r in rows]

    async def retry(self, ids: Sequence[int] | None, actor: str) -> list[OutboxEntry]:
        """Make these events (None: every dead letter) pending and due now, attempts reset."""
        now = self._clock()
        async with self._db.sessions() as session, session.begin():
            if ids is None:
                rows = list(await session.scalars(select(OutboxRow).where(OutboxRow.state == DEAD)))
            else:
                rows = [await self._get(session, i) for i in ids]
            for row in rows:
                if row.state in (DELIVERED, DROPPED):
                    raise DomainError(
                        f"outbox event {row.id} was {row.state}; only dead letters and events "
                        f"still failing can be retried ({LIST_HINT})"
                    )
                _refuse_claimed(row, now)
            retried = [entry_of(r) for r in rows]
            if rows:
                await session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id.in_([r.id for r in rows]))
                    .values(
                        state=PENDING,
                        attempts=0,
                        available_at=now,
                        dead_at=None,
                        claimed_by=None,
                        claimed_until=None,
                        last_error=None,
                    )
                    .execution_options(synchronize_session=False)
                )
                audit = SqlAuditLog(session)
                for entry in retried:
                    await audit.record(
                        actor, "outbox.retry", f"outbox:{entry.id}", _details(entry), now
                    )
        return retried

    async def drop(self, event_id: int, actor: str) -> OutboxEntry:
        """Record that an event will never be delivered (it is kept, marked dropped)."""
        now = self._clock()
        async with self._db.sessions() as session, session.begin():
            row = await self._get(session, event_id)
            if row.state in (DELIVERED, DROPPED):
                raise DomainError(f"outbox event {event_id} was {row.state} already; nothing to do")
            _refuse_claimed(row, now)
            entry = entry_of(row)
            row.state = DROPPED
            row.dead_at = now
            row.claimed_by = None
            row.claimed_until = None
            await SqlAuditLog(session).record(
                actor, "outbox.drop", f"outbox:{event_id}", _details(entry), now
            )
        return entry

    @staticmethod
    async def _get(session: AsyncSession, event_id: int) -> OutboxRow:
        row = await session.get(OutboxRow, event_id)
        if row is None:
            raise NotFound(f"there is no outbox event {event_id}; {LIST_HINT}")
        return row


def _refuse_claimed(row: OutboxRow, now: datetime) -> None:
    """A dispatcher holds this event now: changing it under it could deliver it twice."""
    if row.state == PENDING and row.claimed_until is not None and row.claimed_until > now:
        raise DomainError(
            f"outbox event {row.id} is being delivered right now; "
            "look again with `prevnet outbox list` in a minute"
        )


def _details(entry: OutboxEntry) -> dict[str, object]:
    return {
        "event": entry.event_type,
        "consumer": entry.consumer,
        "state": entry.state,
        "attempts": entry.attempts,
        "reason": entry.reason,
    }
