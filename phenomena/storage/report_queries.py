"""The records the attention report is computed from, read in a few statements per period.

Reads numbers, room keys, organisation keys and times only: no alert text leaves the database
for the report, whatever its label.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from phenomena.events import Event
from phenomena.partners import Organisation
from phenomena.report import (
    AttentionReport,
    ReportAcknowledgement,
    ReportAlert,
    ReportBulletin,
    ReportEscalation,
    ReportRecords,
    ReportVote,
    attention_report,
)
from phenomena.storage.database import Database
from phenomena.storage.schema import (
    AcknowledgementRow,
    AlertRow,
    BulletinRow,
    OutboxRow,
    ProcessedCommandRow,
)
from phenomena.storage.schema_attention import EscalationRow, UsefulnessVoteRow
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry


async def report_records(db: Database, start: datetime, end: datetime) -> ReportRecords:
    """The alerts with a bulletin sent in ``[start, end)`` and, for them, every bulletin,
    acknowledgement and vote before ``end`` and every escalation step ended before ``end``
    (a step still waiting has not fired)."""
    sent_in_period = (
        select(BulletinRow.alert_id)
        .where(BulletinRow.sent_at >= start, BulletinRow.sent_at < end)
        .distinct()
        .scalar_subquery()
    )
    async with db.sessions() as session:
        alerts = await session.execute(
            select(AlertRow.id, AlertRow.recipients).where(AlertRow.id.in_(sent_in_period))
        )
        bulletins = await session.execute(
            select(BulletinRow.alert_id, BulletinRow.room, BulletinRow.sent_at).where(
                BulletinRow.alert_id.in_(sent_in_period), BulletinRow.sent_at < end
            )
        )
        acknowledgements = await session.execute(
            select(
                AcknowledgementRow.alert_id, AcknowledgementRow.organisation, AcknowledgementRow.at
            ).where(AcknowledgementRow.alert_id.in_(sent_in_period), AcknowledgementRow.at < end)
        )
        escalations = await session.execute(
            select(EscalationRow.alert_id, EscalationRow.kind, EscalationRow.state).where(
                EscalationRow.alert_id.in_(sent_in_period),
                EscalationRow.ended_at < end,  # fired (or stopped) in time: the same later
            )
        )
        votes = await session.execute(
            select(
                UsefulnessVoteRow.alert_id, UsefulnessVoteRow.organisation, UsefulnessVoteRow.useful
            ).where(UsefulnessVoteRow.alert_id.in_(sent_in_period), UsefulnessVoteRow.at < end)
        )
        return ReportRecords(
            alerts=[ReportAlert(i, _keys(r)) for i, r in alerts],
            bulletins=[ReportBulletin(a, room, at) for a, room, at in bulletins],
            acknowledgements=[ReportAcknowledgement(a, o, at) for a, o, at in acknowledgements],
            escalations=[ReportEscalation(a, k, s) for a, k, s in escalations],
            votes=[ReportVote(a, o, bool(u)) for a, o, u in votes],
        )


async def load_report(
    db: Database, territories: TerritoryRegistry, start: datetime, end: datetime
) -> AttentionReport:
    """The attention report of ``[start, end)`` for the registered organisations."""
    records = await report_records(db, start, end)
    return attention_report(records, await organisations(db), territories, start, end)


async def organisations(db: Database) -> Iterable[Organisation]:
    """Every registered organisation."""
    async with SqlUnitOfWork(db.sessions) as unit:
        return list(await unit.organisations.list())


async def queue_once(
    db: Database, key: str, event: Event, now: datetime, consumer: str = "bots"
) -> bool:
    """Put ``event`` in ``consumer``'s outbox unless ``key`` was queued before (True if now).

    The marker and the event commit together, so two instances, or a job run again after a
    restart, queue it once; the outbox then delivers it at least once.
    """
    try:
        async with db.sessions() as session, session.begin():
            session.add(ProcessedCommandRow(event_id=key, at=now))
            await session.flush()
            session.add(OutboxRow.pending(event, consumer, now))
    except IntegrityError:
        return False
    return True


def _keys(text: str | None) -> tuple[str, ...]:
    return tuple(k for k in (text or "").split(",") if k)
