"""The alert repository: alerts and the municipalities they affect, and the JSON of a widening
waiting for a moderator, mapped to and from rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, undefer

from phenomena.alert import Alert, AlertContent, AlertStatus, ProposedChange
from phenomena.errors import NotFound
from phenomena.partners import OrganisationKind
from phenomena.priority import Priority
from phenomena.storage.repositories import ORGANISATION_KIND, Clock, Collect, Repository, as_kind
from phenomena.storage.schema import AlertMunicipalityRow, AlertRow, MemberRow, OrganisationRow
from phenomena.taxonomy import PhenomenonType
from phenomena.tlp import Tlp


def _rooms_text(rooms: tuple[str, ...]) -> str:
    # Delimited on both sides so that a LIKE '%,zone:53,%' never matches zone:5324.
    return "," + ",".join(rooms) + "," if rooms else ""


class SqlAlertRepository(Repository):
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
            query = ORGANISATION_KIND.where(OrganisationRow.key == alert.organisation)
            return as_kind(await self.session.scalar(query))
        return as_kind(row.organisation_kind)

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
        row.priority = content.priority.value
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
            priority=_priority(row.priority),
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
        "priority": content.priority.value,
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
        priority=_priority(data.get("priority")),
    )


def _priority(value: str | None) -> Priority:
    """A stored priority; rows and widenings from before priorities existed are normal."""
    return Priority(value) if value else Priority.NORMAL


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
