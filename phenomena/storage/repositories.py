"""Repositories: the mapping between domain objects and rows, one class per aggregate."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defaultload, joinedload, undefer

from phenomena.alert import Alert, AlertContent, AlertStatus, ProposedChange
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
    AlertMunicipalityRow,
    AlertRow,
    AuditRow,
    DetectionRow,
    MemberRow,
    OrganisationRow,
    OrganisationTerritoryRow,
)
from phenomena.taxonomy import PhenomenonType
from phenomena.tlp import Tlp

Collect = Callable[[list[Event]], None]
Clock = Callable[[], datetime]

_ROLE_ORDER = [r.value for r in Role]


def _roles_text(roles: frozenset[Role]) -> str:
    return ",".join(sorted((r.value for r in roles), key=_ROLE_ORDER.index))


def _rooms_text(rooms: tuple[str, ...]) -> str:
    # Delimited on both sides so that a LIKE '%,zone:53,%' never matches zone:5324.
    return "," + ",".join(rooms) + "," if rooms else ""


class _Repository:
    def __init__(self, session: AsyncSession, collect: Collect, clock: Clock) -> None:
        self.session = session
        self._collect = collect
        self._clock = clock

    def _take_events(self, aggregate: Organisation | Member | Alert) -> None:
        self._collect(aggregate.events)
        aggregate.events.clear()


_KIND = select(OrganisationRow.kind)


def _kind(value: str | None) -> OrganisationKind | None:
    return OrganisationKind(value) if value is not None else None


class SqlOrganisationRepository(_Repository):
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
        return _kind(await self.session.scalar(_KIND.where(OrganisationRow.key == key)))

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
    )


class SqlMemberRepository(_Repository):
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


class SqlAlertRepository(_Repository):
    """Alerts and the municipalities they affect."""

    def __init__(self, session: AsyncSession, collect: Collect, clock: Clock) -> None:
        super().__init__(session, collect, clock)
        # The session's identity map holds rows weakly: without a reference here, a row read by
        # ``get`` is gone by ``save`` and read again (two queries more per change of an alert).
        self._loaded: dict[int, AlertRow] = {}

    async def create(
        self,
        content: AlertContent,
        author: str,
        organisation: str,
        at: datetime,
        origin_room: str | None = None,
    ) -> Alert:
        row = AlertRow(
            author=author,
            organisation=organisation,
            origin_room=origin_room,
            status=AlertStatus.DRAFT.value,
            version=1,
            created_at=at,
            updated_at=at,
        )
        self._fill_content(row, content)
        self.session.add(row)
        await self.session.flush()
        return _alert(row)

    async def get(self, alert_id: int) -> Alert | None:
        # one statement with its municipalities (the relationship's default takes two)
        row = await self.session.get(
            AlertRow,
            alert_id,
            options=[joinedload(AlertRow.municipalities), undefer(AlertRow.organisation_kind)],
        )
        if row is None:
            return None
        self._loaded[alert_id] = row
        return _alert(row)

    async def list(
        self,
        statuses: Sequence[AlertStatus] | None = None,
        author: str | None = None,
        room: str | None = None,
    ) -> Sequence[Alert]:
        query = select(AlertRow).order_by(AlertRow.id)
        if statuses is not None:
            query = query.where(AlertRow.status.in_([s.value for s in statuses]))
        if author is not None:
            query = query.where(AlertRow.author == author)
        if room is not None:
            query = query.where(AlertRow.rooms.contains(f",{room},"))
        return [_alert(r) for r in await self.session.scalars(query)]

    async def save(self, alert: Alert) -> None:
        row = await self.session.get(AlertRow, alert.id)
        if row is None:
            raise NotFound(f"alert {alert.ref} vanished during the change")
        self._fill_content(row, alert.content)
        row.status = alert.status.value
        row.version = alert.version
        row.rooms = _rooms_text(alert.rooms)
        row.status_reason = alert.status_reason
        row.status_by = alert.status_by
        row.recipients = _rooms_text(alert.recipients)
        row.proposed = _proposed_json(alert.proposed, alert.revised_by)
        row.updated_at = alert.updated_at or self._clock()
        await self.session.flush()
        self._take_events(alert)

    async def organisation_kind(self, alert: Alert) -> OrganisationKind | None:
        """The kind of the alert's organisation (what the moderation policy asks), or None.

        Read along with the alert by ``get`` in this transaction, so it costs no statement of
        its own on the way from ``!alert publish`` to the bulletins.
        """
        row = self._loaded.get(alert.id)
        if row is None or "organisation_kind" in inspect(row).unloaded:
            query = _KIND.where(OrganisationRow.key == alert.organisation)
            return _kind(await self.session.scalar(query))
        return _kind(row.organisation_kind)

    async def source_names(self, alert: Alert) -> tuple[str | None, str | None]:
        """Its organisation's name and its author's display name as they are today (None: gone).

        One statement: a bulletin's source line is read on the way to the first bulletin.
        """
        organisation = select(OrganisationRow.name).where(OrganisationRow.key == alert.organisation)
        author = select(MemberRow.display_name).where(MemberRow.matrix_id == alert.author)
        row = (
            await self.session.execute(
                select(organisation.scalar_subquery(), author.scalar_subquery())
            )
        ).one()
        return row[0], row[1]

    async def delete_draft(self, alert_id: int) -> None:
        """Forget a draft entirely (cancelled drafts are kept instead: see ``Alert.cancel``)."""
        row = await self.session.get(AlertRow, alert_id)
        if row is not None and row.status == AlertStatus.DRAFT.value:
            await self.session.delete(row)
            await self.session.flush()

    @staticmethod
    def _fill_content(row: AlertRow, content: AlertContent) -> None:
        row.type = content.type.value
        row.tlp = content.tlp.value
        row.period_start = content.period_start
        row.period_end = content.period_end
        row.summary = content.summary
        row.modus = content.modus
        row.advice = content.advice
        row.named_recipients = _rooms_text(content.recipients)
        current = [m.nis for m in row.municipalities]
        if current != list(content.municipalities):
            row.municipalities = [
                AlertMunicipalityRow(nis=nis, position=i)
                for i, nis in enumerate(content.municipalities)
            ]


def _alert(row: AlertRow) -> Alert:
    return Alert(
        id=row.id,
        content=AlertContent(
            type=PhenomenonType(row.type),
            municipalities=tuple(m.nis for m in row.municipalities),
            period_start=row.period_start,
            period_end=row.period_end,
            tlp=Tlp(row.tlp),
            summary=row.summary,
            modus=row.modus,
            advice=row.advice,
            recipients=_split(row.named_recipients),
        ),
        author=row.author,
        organisation=row.organisation,
        status=AlertStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
        rooms=tuple(r for r in row.rooms.split(",") if r),
        status_reason=row.status_reason,
        status_by=row.status_by,
        origin_room=row.origin_room,
        recipients=_split(row.recipients),
        proposed=_proposed(row.proposed),
        revised_by=tuple((row.proposed or {}).get("revised_by") or ()),
    )


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(r for r in (text or "").split(",") if r)


def _content_json(content: AlertContent) -> dict[str, Any]:
    return {
        "type": content.type.value,
        "municipalities": list(content.municipalities),
        "period_start": content.period_start.isoformat(),
        "period_end": content.period_end.isoformat() if content.period_end else None,
        "tlp": content.tlp.value,
        "summary": content.summary,
        "modus": content.modus,
        "advice": content.advice,
        "recipients": list(content.recipients),
    }


def _content(data: dict[str, Any]) -> AlertContent:
    end = data.get("period_end")
    return AlertContent(
        type=PhenomenonType(data["type"]),
        municipalities=tuple(data["municipalities"]),
        period_start=date.fromisoformat(data["period_start"]),
        period_end=date.fromisoformat(end) if end else None,
        tlp=Tlp(data["tlp"]),
        summary=data["summary"],
        modus=data.get("modus"),
        advice=data.get("advice"),
        recipients=tuple(data.get("recipients") or ()),
    )


def _proposed_json(
    proposed: ProposedChange | None, revised_by: tuple[str, ...] = ()
) -> dict[str, Any] | None:
    """The ``proposed`` column: a widening waiting, and who revised the alert while pending."""
    data: dict[str, Any] = {"revised_by": list(revised_by)} if revised_by else {}
    if proposed is not None:
        data |= {
            "content": _content_json(proposed.content),
            "recipients": list(proposed.recipients),
            "by": proposed.by,
            "at": proposed.at.isoformat(),
            "widens": list(proposed.widens),
        }
    return data or None


def _proposed(data: dict[str, Any] | None) -> ProposedChange | None:
    if not data or "content" not in data:
        return None
    return ProposedChange(
        content=_content(data["content"]),
        recipients=tuple(data["recipients"]),
        by=data["by"],
        at=datetime.fromisoformat(data["at"]),
        widens=tuple(data["widens"]),
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
