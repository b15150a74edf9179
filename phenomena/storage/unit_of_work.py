"""The SQL unit of work: one session, one transaction; events go to the outbox on commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, cast

from sqlalchemy import (
    Table,
    bindparam,
    case,
    exists,
    insert,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import ReturningInsert

from phenomena.errors import AlreadyDone, DomainError
from phenomena.events import Event
from phenomena.storage.alert_repository import SqlAlertRepository
from phenomena.storage.handoff import Handoff, OutboxMessage
from phenomena.storage.repositories import (
    SqlAuditLog,
    SqlDetectionRepository,
    SqlMemberRepository,
    SqlOrganisationRepository,
)
from phenomena.storage.schema import OutboxConsumerRow, OutboxRow, ProcessedCommandRow


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class SqlUnitOfWork:
    """Implements ``phenomena.services.unit_of_work.UnitOfWork`` on SQLAlchemy.

    The events the aggregates recorded are written to the outbox in the same transaction as the
    state change: both commit, or neither does.
    """

    organisations: SqlOrganisationRepository
    members: SqlMemberRepository
    alerts: SqlAlertRepository
    audit: SqlAuditLog
    detections: SqlDetectionRepository

    def __init__(
        self,
        sessions: async_sessionmaker[Any],
        clock: Callable[[], datetime] = utc_now,
        *,
        once: str | None = None,
        after_commit: Callable[[], None] | None = None,
        handoff: Handoff | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._once = once  # a chat event ID: its effects commit at most once, and a repeat is quiet
        self._after_commit = after_commit  # e.g. wake the outbox dispatcher
        self._handoff = handoff  # a dispatcher in this process that takes its events at commit
        self._session: AsyncSession | None = None
        self._events: list[Event] = []

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open; use one per use case")
        self._session = self._sessions()
        self._events = []
        self.organisations = SqlOrganisationRepository(
            self._session, self._events.extend, self._clock
        )
        self.members = SqlMemberRepository(self._session, self._events.extend, self._clock)
        self.alerts = SqlAlertRepository(self._session, self._events.extend, self._clock)
        self.audit = SqlAuditLog(self._session)
        self.detections = SqlDetectionRepository(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            await session.rollback()
            # A command seen again (a sync replayed after a crash) usually fails as a repeat
            # ("already published"); it ran the first time, so it stays silent. Checked only
            # here, and at commit, so a command's normal path pays nothing for it.
            repeat = isinstance(exc, DomainError) and not isinstance(exc, AlreadyDone)
            if (
                repeat
                and self._once is not None
                and await session.get(ProcessedCommandRow, self._once) is not None
            ):
                raise AlreadyDone(f"command {self._once} was already carried out") from exc
        finally:
            await session.close()
            self._events = []

    @property
    def session(self) -> AsyncSession:
        """The open session (for adapters that share this transaction)."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._session

    def record(self, event: Event) -> None:
        """Add an event that no aggregate raised (a chat reply, a webhook) to this transaction."""
        self.session  # noqa: B018 - fails clearly when the unit of work is not open
        self._events.append(event)

    async def commit(self) -> None:
        """Write the recorded events to the outbox and commit everything in one transaction.

        Each registered consumer (the bots, the bridge) gets its own row of every event. The
        handoff's consumer gets its rows already claimed and, after the commit, handed over.
        Every write fails (or not) here, so a replayed command's marker turns into AlreadyDone.
        """
        session = self.session
        now = self._clock()
        local = self._handoff.consumer if self._handoff is not None else None
        claim = self._handoff.lease(now) if self._handoff is not None and self._events else None
        handed: list[tuple[int, Event]] = []
        try:
            if self._once is not None:
                session.add(ProcessedCommandRow(event_id=self._once, at=now))
            token, until = claim if claim is not None else (None, None)
            for event in self._events:
                rows = await session.execute(
                    _OUTBOX_INSERT,
                    {
                        "event_type": event.name,
                        "payload": event.to_payload(),
                        "now": now,
                        "local": local,
                        "token": token,
                        "until": until,
                    },
                )
                handed.extend((row_id, event) for row_id, consumer in rows if consumer == local)
            await session.commit()
        except IntegrityError:
            if self._once is None:
                raise
            raise AlreadyDone(f"command {self._once} was already carried out") from None
        had_events = bool(self._events)
        self._events.clear()
        if handed and self._handoff is not None:
            self._handoff.take(
                [OutboxMessage(row_id, event, 0, now, frozenset()) for row_id, event in handed]
            )
        if had_events and self._after_commit is not None:
            self._after_commit()

    async def rollback(self) -> None:
        """Forget the changes and the events of this transaction."""
        await self.session.rollback()
        self._events.clear()


def _outbox_insert() -> ReturningInsert[int, str]:
    """One statement: a row of an event for every registered consumer, returning their IDs.

    Reading the consumers and inserting in one statement saves a round trip on the way to the
    first bulletin, and a consumer registered at the same moment gets the event or not, never
    half of it. The ``local`` consumer's row is written already claimed under ``token`` until
    ``until`` (the handoff). With no consumer registered at all (the migrations register the
    bots) the bots still get it. Built once: its compiled form is cached, not rebuilt per event.
    """
    table = cast(Table, OutboxRow.__table__)
    consumers = union_all(
        select(OutboxConsumerRow.name.label("name")),
        select(literal("bots").label("name")).where(~exists(select(OutboxConsumerRow.name))),
    ).subquery()
    mine = consumers.c.name == bindparam("local", type_=table.c.consumer.type)
    rows = select(
        consumers.c.name,
        bindparam("event_type", type_=table.c.event_type.type),
        bindparam("payload", type_=table.c.payload.type),
        bindparam("now", type_=table.c.created_at.type),
        bindparam("now", type_=table.c.available_at.type),
        literal(0, table.c.attempts.type),
        case((mine, bindparam("token", type_=table.c.claimed_by.type)), else_=null()),
        case((mine, bindparam("until", type_=table.c.claimed_until.type)), else_=null()),
    )
    columns = (
        "consumer",
        "event_type",
        "payload",
        "created_at",
        "available_at",
        "attempts",
        "claimed_by",
        "claimed_until",
    )
    return insert(table).from_select(columns, rows).returning(table.c.id, table.c.consumer)


_OUTBOX_INSERT = _outbox_insert()
