"""The transactional outbox: claim pending events, record which handlers are done, retry.

Several dispatchers may run against one database: a claim is a lease (``claimed_until``), taken
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so an event is worked on by one dispatcher at a
time and picked up again by another if its dispatcher dies.

A row is ``pending`` until it is ``delivered``. One that keeps failing for a reason retries
cannot change is set aside as ``dead`` (a dead letter): it is never claimed again and does not
count as pending, so it holds back neither the events after it nor ``/health``. An operator
retries it or drops it (``phenomena.storage.dead_letters``, ``prevnet outbox``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from phenomena.events import Event, event_from_payload
from phenomena.storage.database import Database
from phenomena.storage.handoff import OutboxMessage
from phenomena.storage.schema import OutboxConsumerRow, OutboxHandledRow, OutboxRow
from phenomena.storage.unit_of_work import utc_now

# How long a claim keeps other dispatchers off an event (a dispatcher that died lets go then).
LEASE = timedelta(seconds=60)

# The states of an outbox row.
PENDING, DELIVERED, DEAD, DROPPED = "pending", "delivered", "dead", "dropped"

# Payload fields that name what an event is about without carrying its text.
_SUBJECTS = (
    ("alert_id", "alert #{}"),
    ("matrix_id", "{}"),
    ("key", "organisation {}"),
    ("topic_id", "toolbox topic {}"),
)


@dataclass(frozen=True)
class OutboxStats:
    """How far behind delivery is: pending events, the age of the oldest, and dead letters."""

    pending: int
    oldest: datetime | None
    failing: int
    dead: int = 0  # set aside after failing; not pending, shown apart in /health


@dataclass(frozen=True)
class OutboxEntry:
    """An event that failed (dead, dropped, or still retrying), as an operator sees it.

    ``reason`` is the handler and the error's class, Matrix errcode and HTTP status, never the
    error's text (which may quote alert text or personal data); ``subject`` names what the
    event is about (an alert number, a Matrix ID, an organisation key), never its text.
    """

    id: int
    event_type: str
    consumer: str
    state: str
    attempts: int
    reason: str
    subject: str
    created_at: datetime
    changed_at: datetime  # when it died or was dropped; for a retrying one, its next attempt


def subject_of(payload: object) -> str:
    """What an event is about, from its payload, without any of its text."""
    if isinstance(payload, dict):
        for field, form in _SUBJECTS:
            value = payload.get(field)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return form.format(value)[:255]
    return ""


def entry_of(row: OutboxRow) -> OutboxEntry:
    """The operator's view of an outbox row."""
    changed = row.dead_at if row.state in (DEAD, DROPPED) and row.dead_at else row.available_at
    return OutboxEntry(
        id=row.id,
        event_type=row.event_type,
        consumer=row.consumer,
        state=row.state,
        attempts=row.attempts,
        reason=row.last_error or "",
        subject=subject_of(row.payload),
        created_at=row.created_at,
        changed_at=changed,
    )


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
        self._set_aside: list[OutboxEntry] = []

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
            OutboxRow.state == PENDING,
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
        messages = []
        for r in rows:
            try:
                event = event_from_payload(r.event_type, r.payload)
            except Exception as exc:  # a row no handler can ever read: set it aside at once
                reason = f"unreadable {r.event_type!r}: {type(exc).__name__}"
                self._set_aside.append(await self.mark_dead(r.id, reason))
                continue
            messages.append(
                OutboxMessage(
                    id=r.id,
                    event=event,
                    attempts=r.attempts,
                    created_at=r.created_at,
                    handled=frozenset(handled.get(r.id, ())),
                )
            )
        return messages

    def set_aside(self) -> list[OutboxEntry]:
        """The rows ``claim`` found unreadable and set aside since the last call (to announce)."""
        found, self._set_aside = self._set_aside, []
        return found

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
                    OutboxRow.state == PENDING,
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
                    delivered_at=self._clock(),
                    state=DELIVERED,
                    claimed_by=None,
                    claimed_until=None,
                    last_error=None,
                )
            )

    async def mark_failed(self, message_id: int, error: str, retry_at: datetime) -> None:
        """A handler failed: count the attempt and make the event due again at ``retry_at``."""
        await self._count_failure(message_id, error, available_at=retry_at)

    async def _count_failure(self, message_id: int, error: str, **values: object) -> None:
        """Count a failed attempt, release the claim, keep the reason, set ``values`` too."""
        async with self._db.sessions() as session, session.begin():
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == message_id)
                .values(
                    attempts=OutboxRow.attempts + 1,
                    claimed_by=None,
                    claimed_until=None,
                    last_error=error[:2000],
                    **values,
                )
            )

    async def mark_dead(self, message_id: int, error: str) -> OutboxEntry:
        """A handler failed for the last time: count the attempt and set the event aside.

        A dead letter is never claimed again (``prevnet outbox retry`` makes it pending).
        """
        await self._count_failure(message_id, error, state=DEAD, dead_at=self._clock())
        async with self._db.sessions() as session:
            row = await session.get(OutboxRow, message_id)
        if row is None:
            raise LookupError(f"outbox event {message_id} is gone")
        return entry_of(row)

    async def stats(self) -> OutboxStats:
        """Pending events, the oldest one's creation time, how many failed, how many are dead."""
        async with self._db.sessions() as session:
            mine = OutboxRow.consumer == self.consumer
            pending = and_(mine, OutboxRow.delivered_at.is_(None), OutboxRow.state == PENDING)
            count, oldest = (
                await session.execute(
                    select(func.count(OutboxRow.id), func.min(OutboxRow.created_at)).where(pending)
                )
            ).one()
            failing = await session.scalar(
                select(func.count(OutboxRow.id)).where(and_(pending, OutboxRow.attempts > 0))
            )
            dead = await session.scalar(
                select(func.count(OutboxRow.id)).where(and_(mine, OutboxRow.state == DEAD))
            )
        if isinstance(oldest, str):  # SQLite returns aggregate timestamps as text
            oldest = datetime.fromisoformat(oldest)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return OutboxStats(
            pending=int(count), oldest=oldest, failing=int(failing or 0), dead=int(dead or 0)
        )

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
