"""The duty rota's table (``duty_periods``): entries added whole or not at all, who is on duty
where, and the handover notes, each marked in the transaction that queues its post."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from phenomena.duty import DutyPeriod
from phenomena.events import DutyHandedOver
from phenomena.storage.database import Database
from phenomena.storage.handoff import Handoff
from phenomena.storage.schema_attention import DutyPeriodRow
from phenomena.storage.unit_of_work import SqlUnitOfWork, utc_now


class SqlDutyRota:
    """Who is on duty for which zone or province, when; ``handoff`` (the bots' dispatcher)
    takes the handover notes' events as they commit."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime] = utc_now,
        *,
        handoff: Handoff | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._handoff = handoff

    def _unit(self, once: str | None = None) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._db.sessions, self._clock, once=once, handoff=self._handoff)

    async def add(
        self, periods: Sequence[DutyPeriod], *, actor: str, once: str | None = None
    ) -> list[DutyPeriod]:
        """Store every period in one transaction, each in the audit log; returns them with their
        IDs. ``once`` (a chat event ID) makes a replayed command raise AlreadyDone."""
        now = self._clock()
        async with self._unit(once) as unit:
            rows = [_row(p, now) for p in periods]
            unit.session.add_all(rows)
            await unit.session.flush()
            for row in rows:
                await unit.audit.record(
                    actor,
                    f"duty.{row.source}",
                    row.member,
                    {
                        "id": row.id,
                        "scope": row.scope,
                        "area": row.area,
                        "starts_at": row.starts_at.isoformat(),
                        "ends_at": row.ends_at.isoformat(),
                    },
                    now,
                )
            await unit.commit()
        return [_period(r) for r in rows]

    async def remove(self, period_id: int, *, actor: str) -> DutyPeriod | None:
        """Delete one entry (recorded in the audit log); None when there is no such entry."""
        now = self._clock()
        async with self._unit() as unit:
            row = await unit.session.get(DutyPeriodRow, period_id)
            if row is None:
                return None
            found = _period(row)
            await unit.session.execute(delete(DutyPeriodRow).where(DutyPeriodRow.id == period_id))
            await unit.audit.record(
                actor,
                "duty.remove",
                found.member,
                {"id": period_id, "scope": found.scope, "area": found.area},
                now,
            )
            await unit.commit()
        return found

    async def get(self, period_id: int) -> DutyPeriod | None:
        """One entry by its number."""
        async with self._db.sessions() as session:
            row = await session.get(DutyPeriodRow, period_id)
            return _period(row) if row is not None else None

    async def on_duty(self, scope: str, areas: Sequence[str], at: datetime) -> list[DutyPeriod]:
        """Who is on duty at ``at`` for any of ``areas`` (zone keys, or province NIS codes),
        by area then start; empty when nobody is."""
        if not areas:
            return []
        query = _ordered(
            select(DutyPeriodRow).where(
                DutyPeriodRow.scope == scope,
                DutyPeriodRow.area.in_(list(areas)),
                DutyPeriodRow.starts_at <= at,
                DutyPeriodRow.ends_at > at,
            )
        )
        return await self._periods(query)

    async def overlapping(
        self, scope: str, area: str, starts_at: datetime, ends_at: datetime
    ) -> list[DutyPeriod]:
        """The stored entries of the area that share some time with ``starts_at``-``ends_at``."""
        query = _ordered(
            select(DutyPeriodRow).where(
                DutyPeriodRow.scope == scope,
                DutyPeriodRow.area == area,
                DutyPeriodRow.starts_at < ends_at,
                DutyPeriodRow.ends_at > starts_at,
            )
        )
        return await self._periods(query)

    async def upcoming(
        self,
        at: datetime,
        *,
        scope: str | None = None,
        area: str | None = None,
        member: str | None = None,
    ) -> list[DutyPeriod]:
        """The entries not over at ``at`` (running or to come), of one area or member if given."""
        query = select(DutyPeriodRow).where(DutyPeriodRow.ends_at > at)
        if scope is not None:
            query = query.where(DutyPeriodRow.scope == scope)
        if area is not None:
            query = query.where(DutyPeriodRow.area == area)
        if member is not None:
            query = query.where(DutyPeriodRow.member == member)
        return await self._periods(_ordered(query))

    async def starting_without_handover(self, at: datetime) -> list[DutyPeriod]:
        """The periods running at ``at`` whose handover note has not been posted yet (one that
        ended unannounced, say while the network was down, is not announced late)."""
        query = select(DutyPeriodRow).where(
            DutyPeriodRow.handover_posted_at.is_(None),
            DutyPeriodRow.starts_at <= at,
            DutyPeriodRow.ends_at > at,
        )
        return await self._periods(query.order_by(DutyPeriodRow.starts_at, DutyPeriodRow.id))

    async def handed_over_by(self, period: DutyPeriod) -> DutyPeriod | None:
        """Who was on duty for the area before ``period`` began: the earlier entry that ends last
        (``phenomena.duty.predecessor``), or None."""
        query = (
            select(DutyPeriodRow)
            .where(
                DutyPeriodRow.scope == period.scope,
                DutyPeriodRow.area == period.area,
                DutyPeriodRow.starts_at < period.starts_at,
                DutyPeriodRow.id != (period.id or 0),
            )
            .order_by(DutyPeriodRow.ends_at.desc(), DutyPeriodRow.starts_at.desc())
            .limit(1)
        )
        found = await self._periods(query)
        return found[0] if found else None

    async def mark_handover(
        self, period_id: int, at: datetime, *, session: AsyncSession | None = None
    ) -> bool:
        """Record that the period's note is posted (or queued); False if it already was. In
        ``session``'s transaction when given, so the mark commits with what it stands for."""
        statement = (
            update(DutyPeriodRow)
            .where(DutyPeriodRow.id == period_id, DutyPeriodRow.handover_posted_at.is_(None))
            .values(handover_posted_at=at)
            .execution_options(synchronize_session=False)
        )
        if session is not None:
            result = await session.execute(statement)
            return bool(getattr(result, "rowcount", 0))
        async with self._db.sessions() as own, own.begin():
            result = await own.execute(statement)
            return bool(getattr(result, "rowcount", 0))

    async def record_handovers(self, at: datetime) -> list[DutyHandedOver]:
        """Queue the note of every period begun by ``at`` and not yet announced: each period is
        marked in the same transaction as its event goes to the outbox, so a note is posted
        once, whatever restarts or second instances happen around it."""
        due = await self.starting_without_handover(at)
        if not due:
            return []
        previous = [await self.handed_over_by(period) for period in due]
        events: list[DutyHandedOver] = []
        async with self._unit() as unit:
            for period, before in zip(due, previous, strict=True):
                assert period.id is not None  # stored periods have their number
                if not await self.mark_handover(period.id, at, session=unit.session):
                    continue
                event = DutyHandedOver(
                    period_id=period.id,
                    scope=period.scope,
                    area=period.area,
                    member=period.member,
                    starts_at=period.starts_at.isoformat(),
                    ends_at=period.ends_at.isoformat(),
                    previous_member=before.member if before is not None else None,
                    previous_ends_at=before.ends_at.isoformat() if before is not None else None,
                )
                unit.record(event)
                events.append(event)
            await unit.commit()
        return events

    async def _periods(self, query: Select[DutyPeriodRow]) -> list[DutyPeriod]:
        async with self._db.sessions() as session:
            return [_period(r) for r in await session.scalars(query)]


def _ordered(query: Select[DutyPeriodRow]) -> Select[DutyPeriodRow]:
    return query.order_by(
        DutyPeriodRow.scope, DutyPeriodRow.area, DutyPeriodRow.starts_at, DutyPeriodRow.id
    )


def _row(period: DutyPeriod, now: datetime) -> DutyPeriodRow:
    return DutyPeriodRow(
        scope=period.scope,
        area=period.area,
        member=period.member,
        starts_at=period.starts_at,
        ends_at=period.ends_at,
        set_by=period.set_by,
        set_at=period.set_at or now,
        source=period.source,
        handover_posted_at=period.handover_posted_at,
    )


def _period(row: DutyPeriodRow) -> DutyPeriod:
    return DutyPeriod(
        scope=row.scope,
        area=row.area,
        member=row.member,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        set_by=row.set_by,
        source=row.source,
        id=row.id,
        set_at=row.set_at,
        handover_posted_at=row.handover_posted_at,
    )
