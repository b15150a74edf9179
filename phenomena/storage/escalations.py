"""The escalation timers (``escalations``): planned from the alerts' state, fired once, stopped.

A step is planned ``waiting`` with the moment it is due: an acknowledgement step from the
alert's first bulletin, moderation steps from the moment the alert was seen pending. Firing is
one conditional UPDATE (``waiting`` to ``fired``) in the caller's transaction, which also holds
the step's outbox event: two instances, or a restart, never fire a step twice, and a crash
before the commit leaves it waiting, to fire on the next round.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from phenomena.alert import AlertStatus
from phenomena.escalation import (
    ACK,
    FEDERAL_LEVEL,
    FIRED,
    MODERATION,
    PROVINCE_LEVEL,
    STOPPED,
    WAITING,
    Timers,
)
from phenomena.priority import Priority
from phenomena.storage.database import Database
from phenomena.storage.schema import AcknowledgementRow, AlertRow, BulletinRow
from phenomena.storage.schema_attention import EscalationRow
from phenomena.storage.unit_of_work import utc_now
from phenomena.storage.upserts import upsert

OPEN = (AlertStatus.PUBLISHED.value, AlertStatus.UPDATED.value)
PENDING = AlertStatus.PENDING_MODERATION.value


@dataclass(frozen=True)
class EscalationStep:
    """One recorded step of an alert's escalation."""

    id: int
    alert_id: int
    kind: str
    level: int
    due_at: datetime
    state: str
    ended_at: datetime | None
    detail: dict[str, Any] | None


def _step(row: EscalationRow) -> EscalationStep:
    return EscalationStep(
        row.id,
        row.alert_id,
        row.kind,
        row.level,
        row.due_at,
        row.state,
        row.ended_at,
        dict(row.detail) if row.detail is not None else None,
    )


async def _sooner_when_urgent(session: AsyncSession, timers: Timers) -> None:
    """An alert made urgent after its step was planned is called on the urgent timer from its
    first bulletin, not on the normal one it was planned with."""
    after = timers.ack_after(Priority.URGENT)
    if after is None:
        return
    rows = await session.execute(
        select(EscalationRow.id, EscalationRow.due_at, func.min(BulletinRow.sent_at))
        .join(AlertRow, AlertRow.id == EscalationRow.alert_id)
        .join(BulletinRow, BulletinRow.alert_id == EscalationRow.alert_id)
        .where(
            EscalationRow.kind == ACK,
            EscalationRow.state == WAITING,
            AlertRow.priority == Priority.URGENT.value,
        )
        .group_by(EscalationRow.id, EscalationRow.due_at)
    )
    for step_id, due, first_sent in rows:
        sooner = _aware(first_sent) + after
        if sooner < _aware(due):
            await session.execute(
                update(EscalationRow).where(EscalationRow.id == step_id).values(due_at=sooner)
            )


def _aware(value: object) -> datetime:
    """An aggregate's timestamp (SQLite returns text), in UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class SqlEscalations:
    """Plans, lists, stops and fires escalation steps on SQLite or PostgreSQL."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = db
        self._clock = clock

    async def plan(self, timers: Timers) -> int:
        """Add the waiting steps of alerts that have none yet; returns how many were added.

        Open urgent and normal alerts with a bulletin get one acknowledgement step, due
        ``ack`` minutes after their first bulletin; pending alerts get a province step and a
        federal one, due one and two ``moderation`` periods after their last change.
        """
        planned = 0
        has_ack = exists().where(EscalationRow.alert_id == AlertRow.id, EscalationRow.kind == ACK)
        has_moderation = exists().where(
            EscalationRow.alert_id == AlertRow.id, EscalationRow.kind == MODERATION
        )
        async with self._db.sessions() as session, session.begin():
            published = await session.execute(
                select(AlertRow.id, AlertRow.priority, func.min(BulletinRow.sent_at))
                .join(BulletinRow, BulletinRow.alert_id == AlertRow.id)
                .where(
                    AlertRow.status.in_(OPEN),
                    AlertRow.priority.in_([Priority.URGENT.value, Priority.NORMAL.value]),
                    ~has_ack,
                )
                .group_by(AlertRow.id, AlertRow.priority)
            )
            for alert_id, priority, first_sent in published:
                after = timers.ack_after(Priority(priority))
                if after is not None:
                    await self._add(session, alert_id, ACK, 1, _aware(first_sent) + after)
                    planned += 1
            await _sooner_when_urgent(session, timers)
            pending = await session.execute(
                select(AlertRow.id, AlertRow.updated_at).where(
                    AlertRow.status == PENDING, ~has_moderation
                )
            )
            for alert_id, since in pending:
                for level in (PROVINCE_LEVEL, FEDERAL_LEVEL):
                    due = _aware(since) + timers.moderation_after(level)
                    await self._add(session, alert_id, MODERATION, level, due)
                    planned += 1
        return planned

    @staticmethod
    async def _add(
        session: AsyncSession, alert_id: int, kind: str, level: int, due: datetime
    ) -> None:
        values = {"alert_id": alert_id, "kind": kind, "level": level, "due_at": due}
        values |= {"state": WAITING}
        await upsert(session, EscalationRow, ["alert_id", "kind", "level"], values, update=[])

    async def waiting(self) -> list[EscalationStep]:
        """Every step still waiting, the soonest due first."""
        async with self._db.sessions() as session:
            rows = await session.scalars(
                select(EscalationRow)
                .where(EscalationRow.state == WAITING)
                .order_by(EscalationRow.due_at, EscalationRow.id)
            )
            return [_step(r) for r in rows]

    async def steps(self, alert_id: int) -> list[EscalationStep]:
        """An alert's steps in the order they fire (for ``!alert reach``)."""
        async with self._db.sessions() as session:
            rows = await session.scalars(
                select(EscalationRow)
                .where(EscalationRow.alert_id == alert_id)
                .order_by(EscalationRow.kind, EscalationRow.level)
            )
            return [_step(r) for r in rows]

    async def step(self, alert_id: int, kind: str, level: int) -> EscalationStep | None:
        """One step, as recorded."""
        async with self._db.sessions() as session:
            row = await session.scalar(
                select(EscalationRow).where(
                    EscalationRow.alert_id == alert_id,
                    EscalationRow.kind == kind,
                    EscalationRow.level == level,
                )
            )
            return _step(row) if row is not None else None

    async def statuses(self, alert_ids: Collection[int]) -> dict[int, str]:
        """The status of each alert (an alert that is gone is left out)."""
        if not alert_ids:
            return {}
        async with self._db.sessions() as session:
            rows = await session.execute(
                select(AlertRow.id, AlertRow.status).where(AlertRow.id.in_(list(alert_ids)))
            )
            return {int(i): str(s) for i, s in rows}

    async def priorities(self, alert_ids: Collection[int]) -> dict[int, Priority]:
        """The priority of each alert, as recorded."""
        if not alert_ids:
            return {}
        async with self._db.sessions() as session:
            rows = await session.execute(
                select(AlertRow.id, AlertRow.priority).where(AlertRow.id.in_(list(alert_ids)))
            )
            return {int(i): Priority(p or Priority.NORMAL.value) for i, p in rows}

    async def acknowledging(self, alert_ids: Collection[int]) -> dict[int, set[str]]:
        """The organisations that acknowledged each alert."""
        found: dict[int, set[str]] = {}
        if not alert_ids:
            return found
        async with self._db.sessions() as session:
            rows = await session.execute(
                select(AcknowledgementRow.alert_id, AcknowledgementRow.organisation).where(
                    AcknowledgementRow.alert_id.in_(list(alert_ids))
                )
            )
            for alert_id, organisation in rows:
                found.setdefault(int(alert_id), set()).add(str(organisation))
        return found

    async def stop(self, step_ids: Collection[int], reason: str) -> int:
        """Stop waiting steps (acknowledged, decided, closed); returns how many were stopped."""
        if not step_ids:
            return 0
        async with self._db.sessions() as session, session.begin():
            result = await session.execute(
                update(EscalationRow)
                .where(EscalationRow.id.in_(list(step_ids)), EscalationRow.state == WAITING)
                .values(state=STOPPED, ended_at=self._clock(), detail={"stopped": reason})
                .execution_options(synchronize_session=False)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    @staticmethod
    async def fire(
        session: AsyncSession,
        step: EscalationStep,
        detail: dict[str, Any],
        now: datetime,
        counted: Collection[str] = (),
    ) -> bool:
        """Mark ``step`` fired with ``detail`` in the caller's transaction, if it still waits
        and still holds: for an acknowledgement step, no organisation of ``counted`` has
        acknowledged; for a moderation step, the alert still waits for a moderator. False
        (nothing written) otherwise; the caller commits its event only on True."""
        if step.kind == ACK:
            seen = await session.scalar(
                select(func.count())
                .select_from(AcknowledgementRow)
                .where(
                    AcknowledgementRow.alert_id == step.alert_id,
                    AcknowledgementRow.organisation.in_(list(counted)),
                )
            )
            if seen:
                return False
        else:
            status = await session.scalar(
                select(AlertRow.status).where(AlertRow.id == step.alert_id)
            )
            if status != PENDING:
                return False
        result = await session.execute(
            update(EscalationRow)
            .where(EscalationRow.id == step.id, EscalationRow.state == WAITING)
            .values(state=FIRED, ended_at=now, detail=detail)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1
