"""Significant clusters become draft alerts for the moderators, once, with their pictures."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from phenomena.alert import AlertStatus
from phenomena.detection.scan import ScanSettings
from phenomena.errors import NotFound, PermissionDenied
from phenomena.events import AlertSubmitted
from phenomena.partners import Member, Role
from phenomena.partners_file import parse_partner_file
from phenomena.services import alerts as use
from phenomena.services.detection import DETECTION_AUTHOR
from phenomena.services.partners import import_partners
from phenomena.storage.database import Database
from phenomena.storage.incidents import SqlIncidentStore
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.detection import detection_attachments, run_daily_detection
from prevnet.reference import load_outlines
from prevnet.settings import Settings
from tests.support.belgian_incidents import DAY, incidents_around_mons
from tests.unit.test_partners_file import GOOD

NOW = datetime(DAY.year, DAY.month, DAY.day, 6, tzinfo=UTC)
FAST = ScanSettings(replicates=199)


async def stored(db: Database, wave: int, new_modus: int = 0) -> SqlIncidentStore:
    store = SqlIncidentStore(db)
    incidents = incidents_around_mons(wave, new_modus=new_modus)
    await store.add([(i, i.fingerprint("test", n)) for n, i in enumerate(incidents)], "test")
    return store


async def test_a_wave_is_proposed_once_with_a_map_and_a_timeline(
    db: Database, territories: TerritoryRegistry
) -> None:
    store = await stored(db, wave=12)
    proposed = await run_daily_detection(store, SqlUnitOfWork(db.sessions), territories, NOW, FAST)
    assert len(proposed) == 1
    alert = proposed[0]
    assert alert.status is AlertStatus.PENDING_MODERATION
    assert alert.author == DETECTION_AUTHOR
    assert alert.content.municipalities == ("53053",)
    assert (DAY - alert.content.period_start).days <= 14 and alert.content.period_end == DAY
    assert "Possible wave detected: 1" in alert.content.summary
    assert alert.content.modus is not None and "window smashed" in alert.content.modus
    events = [e for _, e in await Outbox(db, "t").events()]
    assert AlertSubmitted(alert_id=alert.id, author=DETECTION_AUTHOR) in events

    again = await run_daily_detection(store, SqlUnitOfWork(db.sessions), territories, NOW, FAST)
    assert again == []  # the same wave is not proposed twice

    pictures = await detection_attachments(
        alert, SqlUnitOfWork(db.sessions), store, load_outlines(Settings())
    )
    assert [name for name, _ in pictures] == [
        f"cluster-{alert.id}-timeline.png",
        f"cluster-{alert.id}-map.png",
    ]
    assert all(png.startswith(b"\x89PNG") for _, png in pictures)


async def test_quiet_data_proposes_nothing(db: Database, territories: TerritoryRegistry) -> None:
    store = await stored(db, wave=0)
    assert (
        await run_daily_detection(store, SqlUnitOfWork(db.sessions), territories, NOW, FAST) == []
    )


async def test_moderators_edit_a_proposal_before_approving(
    db: Database, territories: TerritoryRegistry
) -> None:
    await import_partners(
        SqlUnitOfWork(db.sessions), parse_partner_file(GOOD, territories), "t", NOW
    )
    store = await stored(db, wave=12)
    (alert,) = await run_daily_detection(store, SqlUnitOfWork(db.sessions), territories, NOW, FAST)
    edited = replace(alert.content, summary="Wave of burglaries in Mons: rear windows smashed.")
    with pytest.raises(NotFound, match="no alert A-"):  # a pending alert, unseen by non-moderators
        await use.update_alert(
            SqlUnitOfWork(db.sessions), alert.id, edited, "@bob:prevnet.example", territories, NOW
        )
    revised, changed = await use.update_alert(
        SqlUnitOfWork(db.sessions), alert.id, edited, "@alice:prevnet.example", territories, NOW
    )
    assert changed == ("summary",) and revised.status is AlertStatus.PENDING_MODERATION
    with pytest.raises(PermissionDenied, match="four eyes"):  # the editor is one pair of eyes
        await use.approve_alert(
            SqlUnitOfWork(db.sessions), alert.id, "@alice:prevnet.example", territories, NOW
        )
    async with SqlUnitOfWork(db.sessions) as unit:
        await unit.members.add(
            Member("@carol:prevnet.example", "Carol", "zp-mons-quevy", frozenset({Role.MODERATOR}))
        )
        await unit.commit()
    approved, route = await use.approve_alert(
        SqlUnitOfWork(db.sessions), alert.id, "@carol:prevnet.example", territories, NOW
    )
    assert approved.status is AlertStatus.PUBLISHED
    assert approved.content.summary.startswith("Wave of burglaries in Mons")
    assert "zone:5324" in route.rooms


async def test_a_new_modus_is_proposed_once(db: Database, territories: TerritoryRegistry) -> None:
    store = await stored(db, wave=0, new_modus=6)
    proposed = await run_daily_detection(store, SqlUnitOfWork(db.sessions), territories, NOW, FAST)
    assert len(proposed) == 1
    alert = proposed[0]
    assert alert.content.summary.startswith("New modus operandi? 6 reports")
    assert alert.content.modus is not None and any(
        word in alert.content.modus for word in ("fausse", "carte", "police", "montre")
    )
    again = await run_daily_detection(store, SqlUnitOfWork(db.sessions), territories, NOW, FAST)
    assert again == []
