"""Retention: personal data of closed alerts and old incidents is purged after a set time.

What an alert says about people (its free text, its author, who acknowledged it or voted on its
usefulness) goes; what it says about the phenomenon (type, area, period, TLP label, status)
stays, so statistics and digests keep working. Unconfirmed drafts go entirely. The audit log is
kept: it is the record of who administered the network. Citizen capsules of a purged alert go
with it (their parts; their cards, posters and letters are drawn from them, so they go too), and
so do the records of their mails, which hold the coordinators' addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from phenomena.alert import AlertStatus
from phenomena.storage.database import Database
from phenomena.storage.schema import AcknowledgementRow, AlertRow, EmailSendRow, IncidentRow
from phenomena.storage.schema_attention import UsefulnessVoteRow
from phenomena.storage.schema_capsules import CapsulePartRow, CapsuleRow

PURGED = "[removed after the retention period]"
PURGED_AUTHOR = "retention-purged"
_ENDED = (AlertStatus.CLOSED.value, AlertStatus.EXPIRED.value, AlertStatus.REJECTED.value)


@dataclass(frozen=True)
class PurgeReport:
    """What a purge changed (or would change, for a dry run)."""

    alerts: int
    drafts: int
    acknowledgements: int
    incidents: int
    capsules: int = 0


async def purge_personal_data(
    db: Database, cutoff: datetime, *, dry_run: bool = False
) -> PurgeReport:
    """Purge what ended before ``cutoff``."""
    async with db.sessions() as session, session.begin():
        ended = select(AlertRow.id).where(
            AlertRow.status.in_(_ENDED),
            AlertRow.updated_at < cutoff,
            AlertRow.author != PURGED_AUTHOR,
        )
        alert_ids = list(await session.scalars(ended))
        drafts = list(
            await session.scalars(
                select(AlertRow.id).where(
                    AlertRow.status == AlertStatus.DRAFT.value, AlertRow.updated_at < cutoff
                )
            )
        )
        acks = (
            list(
                await session.scalars(
                    select(AcknowledgementRow.member).where(
                        AcknowledgementRow.alert_id.in_(alert_ids)
                    )
                )
            )
            if alert_ids
            else []
        )
        capsule_ids = (
            list(
                await session.scalars(
                    select(CapsuleRow.id).where(CapsuleRow.alert_id.in_(alert_ids + drafts))
                )
            )
            if alert_ids or drafts
            else []
        )
        incident_ids = list(
            await session.scalars(
                select(IncidentRow.id).where(
                    IncidentRow.occurred_on < cutoff.date(),
                    (IncidentRow.modus.is_not(None)) | (IncidentRow.external_id.is_not(None)),
                )
            )
        )
        if not dry_run:
            if capsule_ids:  # before their alerts: what residents were told goes with them
                await session.execute(
                    delete(CapsulePartRow).where(CapsulePartRow.capsule_id.in_(capsule_ids))
                )
                await session.execute(delete(CapsuleRow).where(CapsuleRow.id.in_(capsule_ids)))
                await session.execute(
                    delete(EmailSendRow).where(
                        EmailSendRow.kind == "capsule", EmailSendRow.alert_id.in_(alert_ids)
                    )
                )
            if alert_ids:
                await session.execute(
                    update(AlertRow)
                    .where(AlertRow.id.in_(alert_ids))
                    .values(
                        summary=PURGED,
                        modus=None,
                        advice=None,
                        author=PURGED_AUTHOR,
                        status_by=None,
                        status_reason=None,
                        origin_room=None,
                    )
                    .execution_options(synchronize_session=False)
                )
                await session.execute(
                    delete(AcknowledgementRow).where(AcknowledgementRow.alert_id.in_(alert_ids))
                )
                await session.execute(  # who found it useful, like who saw it
                    delete(UsefulnessVoteRow).where(UsefulnessVoteRow.alert_id.in_(alert_ids))
                )
            if drafts:
                await session.execute(delete(AlertRow).where(AlertRow.id.in_(drafts)))
            if incident_ids:
                await session.execute(
                    update(IncidentRow)
                    .where(IncidentRow.id.in_(incident_ids))
                    .values(modus=None, external_id=None)
                    .execution_options(synchronize_session=False)
                )
    return PurgeReport(
        len(alert_ids), len(drafts), len(acks), len(incident_ids), capsules=len(capsule_ids)
    )
