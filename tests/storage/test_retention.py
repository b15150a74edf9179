"""After the retention period, closed alerts keep their facts and lose their personal data."""

from __future__ import annotations

from datetime import UTC, date, datetime

from phenomena.alert_text import parse_alert_text
from phenomena.incidents import Incident
from phenomena.partners_file import parse_partner_file
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy
from phenomena.services.partners import import_partners
from phenomena.storage.bulletins import SqlBulletinLedger
from phenomena.storage.database import Database
from phenomena.storage.incidents import SqlIncidentStore
from phenomena.storage.retention import PURGED, PURGED_AUTHOR, purge_personal_data
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from tests.unit.test_alert_text import EXAMPLE
from tests.unit.test_partners_file import GOOD

LONG_AGO = datetime(2025, 1, 10, 9, tzinfo=UTC)
RECENTLY = datetime(2026, 11, 1, 9, tzinfo=UTC)
CUTOFF = datetime(2025, 11, 22, tzinfo=UTC)


async def test_old_closed_alerts_lose_their_personal_data_only(
    db: Database, territories: TerritoryRegistry
) -> None:
    await import_partners(
        SqlUnitOfWork(db.sessions), parse_partner_file(GOOD, territories), "t", LONG_AGO
    )
    content = parse_alert_text(EXAMPLE, territories)
    author = "@alice:prevnet.example"
    old, _ = await use.create_alert(
        SqlUnitOfWork(db.sessions), content, author, territories, ModerationPolicy(), LONG_AGO
    )
    await use.close_alert(SqlUnitOfWork(db.sessions), old.id, author, "arrests", LONG_AGO)
    await SqlBulletinLedger(db).acknowledge(old.id, "@bob:prevnet.example", "pcs-mons", "zone:5324")
    recent, _ = await use.create_alert(
        SqlUnitOfWork(db.sessions), content, author, territories, ModerationPolicy(), RECENTLY
    )
    await use.close_alert(SqlUnitOfWork(db.sessions), recent.id, author, "done", RECENTLY)
    still_open, _ = await use.create_alert(
        SqlUnitOfWork(db.sessions), content, author, territories, ModerationPolicy(), LONG_AGO
    )
    draft, _ = await use.draft_alert(
        SqlUnitOfWork(db.sessions), content, author, territories, LONG_AGO
    )
    store = SqlIncidentStore(db)
    incidents = [
        Incident(
            date(2024, 12, 1), 1.0, 2.0, PhenomenonType.VANDALISM, None, "Jean D., 0475...", "PV-1"
        ),
        Incident(
            date(2026, 11, 1), 1.0, 2.0, PhenomenonType.VANDALISM, None, "recent text", "PV-2"
        ),
    ]
    await store.add([(i, i.fingerprint("t")) for i in incidents], "t")

    preview = await purge_personal_data(db, CUTOFF, dry_run=True)
    assert (preview.alerts, preview.drafts, preview.acknowledgements, preview.incidents) == (
        1,
        1,
        1,
        1,
    )
    report = await purge_personal_data(db, CUTOFF)
    assert report == preview

    async with SqlUnitOfWork(db.sessions) as uow:
        purged = await uow.alerts.get(old.id)
        kept = await uow.alerts.get(recent.id)
        open_alert = await uow.alerts.get(still_open.id)
        gone = await uow.alerts.get(draft.id)
    assert purged is not None and purged.content.summary == PURGED
    assert purged.content.modus is None and purged.author == PURGED_AUTHOR
    assert (
        purged.content.type == content.type
        and purged.content.municipalities == content.municipalities
    )
    assert kept is not None and kept.content == content and kept.author == author
    assert open_alert is not None and open_alert.content == content  # still open: untouched
    assert gone is None
    assert await SqlBulletinLedger(db).acknowledgements(old.id) == {}
    data = await store.arrays(None, date(2026, 11, 22), 1000)
    assert sorted(m or "" for m in data.modus) == ["", "recent text"]
    again = await purge_personal_data(db, CUTOFF)
    assert (again.alerts, again.drafts, again.incidents) == (0, 0, 0)
