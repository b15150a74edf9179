"""Retention on SQLite and PostgreSQL: a closed alert purged after the retention period takes its
citizen capsules with it (parts, feed entry and card, the records of their mails); a recent
alert's capsule stays."""

from __future__ import annotations

from datetime import UTC, date, datetime

from phenomena.alert import Alert, AlertContent
from phenomena.capsules.drafting import draft_capsules
from phenomena.partners_file import parse_partner_file
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy
from phenomena.services.partners import import_partners
from phenomena.storage.capsules import SqlCapsules
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.retention import purge_personal_data
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from prevnet.capsule_mail import KIND, capsule_message_id
from tests.capsules.alerts import LINK
from tests.unit.test_partners_file import GOOD

LONG_AGO = datetime(2025, 1, 10, 9, tzinfo=UTC)
RECENTLY = datetime(2026, 11, 1, 9, tzinfo=UTC)
CUTOFF = datetime(2025, 11, 22, tzinfo=UTC)
AUTHOR = "@alice:prevnet.example"
COORDINATOR = "bin.hyon@example.org"


async def _alert(db: Database, territories: TerritoryRegistry, at: datetime) -> Alert:
    content = AlertContent(
        PhenomenonType.RESIDENTIAL_BURGLARY,
        ("53053",),
        date(2025, 1, 2),
        None,
        Tlp.GREEN,
        "Burglaries in Hyon.",
        advice="Fermez portes et fenêtres à clé, même pour une courte absence.",
    )
    alert, _ = await use.create_alert(
        SqlUnitOfWork(db.sessions), content, AUTHOR, territories, ModerationPolicy(), at
    )
    return alert


async def _published_capsule(db: Database, alert: Alert, at: datetime) -> int:
    store = SqlCapsules(db)
    drafted = draft_capsules(alert, commune="Mons", prevention_url=LINK, languages=["fr"])
    record = await store.add(
        alert_id=alert.id,
        municipality="53053",
        organisation="pcs-mons",
        author=AUTHOR,
        capsules=drafted,
        findings={},
        now=at,
    )
    await store.approve(record.id, "@bob:prevnet.example", at, 2, "Europe/Brussels")
    message_id = capsule_message_id(record.id, COORDINATOR, "prevnet.example")
    assert await SqlEmailDeliveries(db).claim(message_id, COORDINATOR, KIND, alert.id)
    return record.id


async def test_a_purged_alert_takes_its_capsules_and_their_mail_records_with_it(
    db: Database, territories: TerritoryRegistry
) -> None:
    await import_partners(
        SqlUnitOfWork(db.sessions), parse_partner_file(GOOD, territories), "t", LONG_AGO
    )
    old = await _alert(db, territories, LONG_AGO)
    old_capsule = await _published_capsule(db, old, LONG_AGO)
    await use.close_alert(SqlUnitOfWork(db.sessions), old.id, AUTHOR, "arrests", LONG_AGO)
    recent = await _alert(db, territories, RECENTLY)
    recent_capsule = await _published_capsule(db, recent, RECENTLY)
    await use.close_alert(SqlUnitOfWork(db.sessions), recent.id, AUTHOR, "done", RECENTLY)
    store = SqlCapsules(db)
    assert [r.id for r in await store.published("53053")] == [recent_capsule, old_capsule]

    preview = await purge_personal_data(db, CUTOFF, dry_run=True)
    assert preview.capsules == 1
    assert await store.get(old_capsule) is not None  # a dry run changes nothing
    report = await purge_personal_data(db, CUTOFF)
    assert report.capsules == 1 and report.alerts == 1

    assert await store.get(old_capsule) is None
    assert [r.id for r in await store.published("53053")] == [recent_capsule]  # feed and card
    deliveries = SqlEmailDeliveries(db)
    gone = capsule_message_id(old_capsule, COORDINATOR, "prevnet.example")
    kept = capsule_message_id(recent_capsule, COORDINATOR, "prevnet.example")
    assert await deliveries.send(gone) is None
    assert await deliveries.send(kept) is not None
    assert (await purge_personal_data(db, CUTOFF)).capsules == 0
