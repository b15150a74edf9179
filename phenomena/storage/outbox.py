"""The transactional outbox: claim pending events, record which handlers are done, retry.

Several dispatchers may run against one database: a claim is a lease (``claimed_until``), taken
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so an event is worked on by one dispatcher at a
time and picked up again by another if its dispatcher dies.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from phenomena.events import Event, event_from_payload
from phenomena.storage.database import Database
from phenomena.storage.handoff import OutboxMessage
from phenomena.storage.schema import OutboxConsumerRow, OutboxHandledRow, OutboxRow
from phenomena.storage.unit_of_work import utc_now

# How many times the event being handled has failed before (set by the dispatcher): a handler
# whose earlier attempt may have half-succeeded (a timeout) checks before doing it again.
delivery_attempt: ContextVar[int] = ContextVar("delivery_attempt", default=0)

# How long a claim keeps other dispatchers off an event (a dispatcher that died lets go then).
LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class OutboxStats:
    """How far behind delivery is: pending events and the age of the oldest."""

    pending: int
    oldest: datetime | None
    failing: int


class Outbox:
    """Claims and settles outbox events on behalf of one dispatcher (``worker``).

    ``consumer`` names the service the dispatcher belongs to (``bots``, ``bridge``): it sees
    only that service's copy of each event, so one service's failures never hold back another.
    """

    def __init__(
        self,
        db: Database,
        worker: str,
        clock: Callable[[], datetime] = utc_now,
        *,
        consumer: str = "bots",
    ) -> None:
        self._db = db
        self._worker = worker
        self._clock = clock
        self.consumer = consumer

    async def register(self) -> bool:
        """Make this consumer receive every event committed from now on; True if it is new."""
        try:
            async with self._db.sessions() as session, session.begin():
                if await session.get(OutboxConsumerRow, self.consumer) is not None:
                    return False
                session.add(OutboxConsumerRow(name=self.consumer, registered_at=self._clock()))
        except IntegrityError:  # another instance of the same service registered it first
            return False
        return True

    def lease(self, now: datetime, lease: timedelta = LEASE) -> tuple[str, datetime]:
        """A claim token unique to one claim by this worker, and when its lease ends."""
        return f"{self._worker}:{uuid.uuid4().hex}"[:100], now + lease

    async def claim(self, limit: int = 50, lease: timedelta = LEASE) -> list[OutboxMessage]:
        """Lease up to ``limit`` due events, oldest first.

        One conditional UPDATE stamps the rows with a token unique to this claim; it is atomic
        on SQLite (one writer) and skips rows another dispatcher holds on PostgreSQL.
        """
        now = self._clock()
        token, until = self.lease(now, lease)
        due = (
            OutboxRow.consumer == self.consumer,
            OutboxRow.delivered_at.is_(None),
            OutboxRow.available_at <= now,
            or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now),
        )
        # A materialized CTE: PostgreSQL may otherwise run an IN (SELECT ... LIMIT ... SKIP
        # LOCKED) subquery more than once and claim more than ``limit`` rows.
        candidates = (
            select(OutboxRow.id)
            .where(*due)
            .order_by(OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("candidates")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        async with self._db.sessions() as session, session.begin():
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(select(candidates.c.id)), *due)
                .values(claimed_by=token, claimed_until=until)
                .execution_options(synchronize_session=False)
            )
        async with self._db.sessions() as session:
            rows = list(
                await session.scalars(
                    select(OutboxRow).where(OutboxRow.claimed_by == token).order_by(OutboxRow.id)
                )
            )
            if not rows:
                return []
            handled_rows = await session.execute(
                select(OutboxHandledRow.event_id, OutboxHandledRow.handler).where(
                    OutboxHandledRow.event_id.in_([r.id for r in rows])
                )
            )
            handled: dict[int, set[str]] = {}
            for event_id, handler in handled_rows:
                handled.setdefault(event_id, set()).add(handler)
            return [
                OutboxMessage(
                    id=r.id,
                    event=event_from_payload(r.event_type, r.payload),
                    attempts=r.attempts,
                    created_at=r.created_at,
                    handled=frozenset(handled.get(r.id, ())),
                )
                for r in rows
            ]

    async def enqueue(self, events: Sequence[Event]) -> int:
        """Add events for this consumer only (a service catching up on what came before it)."""
        now = self._clock()
        async with self._db.sessions() as session, session.begin():
            for event in events:
                session.add(OutboxRow.pending(event, self.consumer, now))
        return len(events)

    async def release_own_claims(self) -> int:
        """At start-up: free what an earlier run under this worker name claimed and never settled.

        Only this process uses this worker name, so such claims belong to a run that crashed;
        waiting for their leases to run out would only delay delivery.
        """
        async with self._db.sessions() as session, session.begin():
            result = await session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.consumer == self.consumer,
                    OutboxRow.delivered_at.is_(None),
                    OutboxRow.claimed_by.like(f"{self._worker}:%"),
                )
                .values(claimed_by=None, claimed_until=None)
                .execution_options(synchronize_session=False)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def mark_handled(self, message_id: int, handler: str) -> None:
        """Record that one handler finished with the event (it will not run again on retry)."""
        async with self._db.sessions() as session, session.begin():
            exists = await session.get(OutboxHandledRow, (message_id, handler))
            if exists is None:
                session.add(
                    OutboxHandledRow(event_id=message_id, handler=handler, handled_at=self._clock())
                )

    async def mark_delivered(self, message_id: int, handlers: Sequence[str] = ()) -> None:
        """Every handler finished: the event is done (recording ``handlers`` in one go)."""
        async with self._db.sessions() as session, session.begin():
            for handler in handlers:
                if await session.get(OutboxHandledRow, (message_id, handler)) is None:
                    session.add(
                        OutboxHandledRow(
                            event_id=message_id, handler=handler, handled_at=self._clock()
                        )
                    )
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == message_id)
                .values(
                    delivered_at=self._clock(), claimed_by=None, claimed_until=None, last_error=None
                )
            )

    async def mark_failed(self, message_id: int, error: str, retry_at: datetime) -> None:
        """A handler failed: count the attempt and make the event due again at ``retry_at``."""
        async with self._db.sessions() as session, session.begin():
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == message_id)
                .values(
                    attempts=OutboxRow.attempts + 1,
                    available_at=retry_at,
                    claimed_by=None,
                    claimed_until=None,
                    last_error=error[:2000],
                )
            )

    async def stats(self) -> OutboxStats:
        """Pending events, the oldest one's creation time, and how many failed at least once."""
        async with self._db.sessions() as session:
            pending = and_(OutboxRow.consumer == self.consumer, OutboxRow.delivered_at.is_(None))
            count, oldest = (
                await session.execute(
                    select(func.count(OutboxRow.id), func.min(OutboxRow.created_at)).where(pending)
                )
            ).one()
            failing = await session.scalar(
                select(func.count(OutboxRow.id)).where(and_(pending, OutboxRow.attempts > 0))
            )
        if isinstance(oldest, str):  # SQLite returns aggregate timestamps as text
            oldest = datetime.fromisoformat(oldest)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return OutboxStats(pending=int(count), oldest=oldest, failing=int(failing or 0))

    async def events(self, delivered: bool | None = None) -> Sequence[tuple[int, Event]]:
        """Events in the outbox, oldest first (for inspection and tests)."""
        async with self._db.sessions() as session:
            query = (
                select(OutboxRow).where(OutboxRow.consumer == self.consumer).order_by(OutboxRow.id)
            )
            if delivered is not None:
                column = OutboxRow.delivered_at
                query = query.where(column.is_not(None) if delivered else column.is_(None))
            return [
                (r.id, event_from_payload(r.event_type, r.payload))
                for r in await session.scalars(query)
            ]
