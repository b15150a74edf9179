"""Repositories of the partner registry and its records: organisations, members, the audit log
and detection clusters, each mapping domain objects to rows (alerts: ``alert_repository``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defaultload

from phenomena.alert import Alert
from phenomena.detection.records import DetectionRecord
from phenomena.errors import NotFound
from phenomena.events import Event
from phenomena.partners import (
    Member,
    MemberStatus,
    Organisation,
    OrganisationKind,
    Role,
    TerritoryKind,
    TerritoryRef,
)
from phenomena.services.unit_of_work import AuditEntry
from phenomena.storage.schema import (
    AuditRow,
    DetectionRow,
    MemberRow,
    OrganisationRow,
    OrganisationTerritoryRow,
)

Collect = Callable[[list[Event]], None]
Clock = Callable[[], datetime]

_ROLE_ORDER = [r.value for r in Role]


def _roles_text(roles: frozenset[Role]) -> str:
    return ",".join(sorted((r.value for r in roles), key=_ROLE_ORDER.index))


class Repository:
    """A session, and where the aggregates' recorded events go when they are saved."""

    def __init__(self, session: AsyncSession, collect: Collect, clock: Clock) -> None:
        self.session = session
        self._collect = collect
        self._clock = clock

    def _take_events(self, aggregate: Organisation | Member | Alert) -> None:
        self._collect(aggregate.events)
        aggregate.events.clear()


ORGANISATION_KIND = select(OrganisationRow.kind)
"""An organisation's kind alone (what the moderation policy asks), to filter by its key."""


def as_kind(value: str | None) -> OrganisationKind | None:
    """The kind a row names, or None when there is no such organisation."""
    return OrganisationKind(value) if value is not None else None


class SqlOrganisationRepository(Repository):
    """Partner organisations."""

    async def _row(self, key: str) -> OrganisationRow | None:
        result = await self.session.execute(
            select(OrganisationRow).where(OrganisationRow.key == key)
        )
        return result.scalar_one_or_none()

    async def get(self, key: str) -> Organisation | None:
        row = await self._row(key)
        return _organisation(row) if row else None

    async def kind(self, key: str) -> OrganisationKind | None:
        """Just the kind (what the moderation policy asks), without the territories."""
        return as_kind(
            await self.session.scalar(ORGANISATION_KIND.where(OrganisationRow.key == key))
        )

    async def list(self) -> Sequence[Organisation]:
        rows = await self.session.scalars(select(OrganisationRow).order_by(OrganisationRow.key))
        return [_organisation(r) for r in rows]

    async def add(self, organisation: Organisation) -> None:
        now = self._clock()
        row = OrganisationRow(key=organisation.key, created_at=now, updated_at=now)
        self._fill(row, organisation)
        self.session.add(row)
        await self.session.flush()
        self._take_events(organisation)

    async def save(self, organisation: Organisation) -> None:
        row = await self._row(organisation.key)
        if row is None:
            raise NotFound(f"organisation {organisation.key} vanished during the change")
        self._fill(row, organisation)
        row.updated_at = self._clock()
        await self.session.flush()
        self._take_events(organisation)

    @staticmethod
    def _fill(row: OrganisationRow, organisation: Organisation) -> None:
        row.name = organisation.name
        row.kind = organisation.kind.value
        row.prevention_url = organisation.prevention_url
        row.coordinators = "".join(f",{c}" for c in organisation.coordinators) + (
            "," if organisation.coordinators else ""
        )
        wanted = {str(t) for t in organisation.territories}
        row.territories = [t for t in row.territories if t.ref in wanted] + [
            OrganisationTerritoryRow(ref=ref)
            for ref in sorted(wanted - {t.ref for t in row.territories})
        ]


def _organisation(row: OrganisationRow) -> Organisation:
    refs = []
    for t in row.territories:
        kind, _, key = t.ref.partition(":")
        refs.append(TerritoryRef(TerritoryKind(kind), key))
    return Organisation(
        key=row.key,
        name=row.name,
        kind=OrganisationKind(row.kind),
        territories=tuple(sorted(refs)),
        prevention_url=row.prevention_url,
        coordinators=tuple(c for c in (row.coordinators or "").split(",") if c),
    )


class SqlMemberRepository(Repository):
    """Members, with their organisation joined in one query."""

    async def _row(self, matrix_id: str) -> MemberRow | None:
        # a member needs its organisation's key, not its territories (read on every message)
        result = await self.session.execute(
            select(MemberRow)
            .where(MemberRow.matrix_id == matrix_id)
            .options(defaultload(MemberRow.organisation).lazyload(OrganisationRow.territories))
        )
        return result.scalar_one_or_none()

    async def _org_id(self, key: str) -> int:
        org_id = await self.session.scalar(
            select(OrganisationRow.id).where(OrganisationRow.key == key)
        )
        if org_id is None:
            raise NotFound(f"no organisation '{key}'; `prevnet partners list` shows them")
        return org_id

    async def get(self, matrix_id: str) -> Member | None:
        row = await self._row(matrix_id)
        return _member(row) if row else None

    async def list(
        self, organisation: str | None = None, statuses: Sequence[MemberStatus] | None = None
    ) -> Sequence[Member]:
        query = (
            select(MemberRow)
            .join(MemberRow.organisation)
            .order_by(OrganisationRow.key, MemberRow.matrix_id)
        )
        if organisation is not None:
            query = query.where(OrganisationRow.key == organisation)
        if statuses is not None:
            query = query.where(MemberRow.status.in_([s.value for s in statuses]))
        return [_member(r) for r in await self.session.scalars(query)]

    async def with_email(self, address: str) -> Sequence[Member]:
        """The active members whose registered address is ``address`` (letter case aside)."""
        query = select(MemberRow).where(
            func.lower(func.trim(MemberRow.email)) == address.strip().lower(),
            MemberRow.status == MemberStatus.ACTIVE.value,
        )
        return [_member(r) for r in await self.session.scalars(query)]

    async def add(self, member: Member) -> None:
        now = self._clock()
        row = MemberRow(matrix_id=member.matrix_id, created_at=now, updated_at=now)
        await self._fill(row, member)
        self.session.add(row)
        await self.session.flush()
        self._take_events(member)

    async def save(self, member: Member) -> None:
        row = await self._row(member.matrix_id)
        if row is None:
            raise NotFound(f"member {member.matrix_id} vanished during the change")
        await self._fill(row, member)
        row.updated_at = self._clock()
        await self.session.flush()
        self._take_events(member)

    async def _fill(self, row: MemberRow, member: Member) -> None:
        row.display_name = member.display_name
        row.email = member.email
        row.organisation_id = await self._org_id(member.organisation)
        row.roles = _roles_text(member.roles)
        row.status = member.status.value
        row.status_changed_at = member.status_changed_at
        row.status_changed_by = member.status_changed_by


def _member(row: MemberRow) -> Member:
    return Member(
        matrix_id=row.matrix_id,
        display_name=row.display_name,
        organisation=row.organisation.key,
        roles=frozenset(Role(r) for r in row.roles.split(",") if r),
        email=row.email,
        status=MemberStatus(row.status),
        status_changed_at=row.status_changed_at,
        status_changed_by=row.status_changed_by,
    )


class SqlAuditLog:
    """The append-only audit log."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self, actor: str, action: str, subject: str, details: dict[str, Any], at: datetime
    ) -> None:
        self.session.add(
            AuditRow(at=at, actor=actor, action=action, subject=subject, details=details)
        )
        await self.session.flush()

    async def list(self, limit: int = 100, subject: str | None = None) -> Sequence[AuditEntry]:
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if subject is not None:
            query = query.where(AuditRow.subject == subject)
        rows = await self.session.scalars(query)
        return [AuditEntry(r.at, r.actor, r.action, r.subject, r.details) for r in rows]


class SqlDetectionRepository:
    """The clusters behind proposed alerts."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, record: DetectionRecord) -> None:
        self.session.add(
            DetectionRow(
                alert_id=record.alert_id,
                type=record.kind,
                centre_x=record.centre[0],
                centre_y=record.centre[1],
                radius_metres=record.radius_metres,
                first_day=record.first_day,
                last_day=record.last_day,
                observed=record.observed,
                expected=record.expected,
                p_value=record.p_value,
                incident_ids={"ids": list(record.incident_ids), "term": record.term},
            )
        )
        await self.session.flush()

    async def get(self, alert_id: int) -> DetectionRecord | None:
        row = await self.session.get(DetectionRow, alert_id)
        return _detection(row) if row else None

    async def recent(self, kind: str, since: date) -> Sequence[DetectionRecord]:
        rows = await self.session.scalars(
            select(DetectionRow).where(DetectionRow.type == kind, DetectionRow.last_day >= since)
        )
        return [_detection(r) for r in rows]


def _detection(row: DetectionRow) -> DetectionRecord:
    return DetectionRecord(
        alert_id=row.alert_id,
        kind=row.type,
        centre=(row.centre_x, row.centre_y),
        radius_metres=row.radius_metres,
        first_day=row.first_day,
        last_day=row.last_day,
        observed=row.observed,
        expected=row.expected,
        p_value=row.p_value,
        incident_ids=tuple(row.incident_ids.get("ids", [])),
        term=row.incident_ids.get("term"),
    )
