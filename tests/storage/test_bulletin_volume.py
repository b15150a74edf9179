"""Priority and bulletin volume on SQLite and PostgreSQL: an alert's priority is kept (in its
widening too), and each room's bulletins are counted by priority within a period."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from phenomena.alert_text import parse_alert_text
from phenomena.budget import RoomVolume
from phenomena.priority import Priority
from phenomena.services import alerts as use
from phenomena.storage.bulletin_volume import SqlBulletinVolume
from phenomena.storage.bulletins import BulletinRecord, SqlBulletinLedger
from phenomena.storage.database import Database
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from tests.storage.test_alerts_storage import NOW, POLICE, POLICY, registry  # noqa: F401
from tests.unit.test_alert_text import EXAMPLE


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def publish(db: Database, territories: TerritoryRegistry, priority: Priority) -> int:
    content = replace(parse_alert_text(EXAMPLE, territories), priority=priority)
    alert, _ = await use.create_alert(
        SqlUnitOfWork(db.sessions), content, POLICE, territories, POLICY, NOW
    )
    return alert.id


async def test_the_priority_is_stored_and_read_back(
    registry: Database,  # noqa: F811
    territories: TerritoryRegistry,
) -> None:
    alert_id = await publish(registry, territories, Priority.URGENT)
    async with SqlUnitOfWork(registry.sessions) as uow:
        stored = await uow.alerts.get(alert_id)
        listed = await uow.alerts.list(room="zone:5324")
    assert stored is not None and stored.content.priority is Priority.URGENT
    assert [a.content.priority for a in listed] == [Priority.URGENT]
    # a widening waiting for a moderator keeps the priority it proposes
    wider = replace(stored.content, tlp=Tlp.GREEN, priority=Priority.INFO)
    _, changed = await use.update_alert(
        SqlUnitOfWork(registry.sessions), alert_id, wider, POLICE, territories, NOW
    )
    assert changed == ("tlp", "priority")
    async with SqlUnitOfWork(registry.sessions) as uow:
        again = await uow.alerts.get(alert_id)
    assert again is not None and again.proposed is not None
    assert again.proposed.content.priority is Priority.INFO
    assert again.content.priority is Priority.URGENT  # unchanged until approved


async def test_bulletins_are_counted_by_room_priority_and_period(
    registry: Database,  # noqa: F811
    territories: TerritoryRegistry,
) -> None:
    clock = Clock()
    ledger = SqlBulletinLedger(registry, clock)
    normal = [await publish(registry, territories, Priority.NORMAL) for _ in range(3)]
    urgent = await publish(registry, territories, Priority.URGENT)
    for n, alert_id in enumerate([*normal, urgent]):
        clock.now = NOW + timedelta(hours=n)
        await ledger.record_bulletin(BulletinRecord(alert_id, "zone:5324", "!r", f"$e{n}", 1))
    await ledger.record_bulletin(BulletinRecord(normal[0], "zone:5327", "!s", "$other", 1))
    clock.now = NOW + timedelta(days=8)  # next week's
    late = await publish(registry, territories, Priority.NORMAL)
    await ledger.record_bulletin(BulletinRecord(late, "zone:5324", "!r", "$late", 1))

    volume = SqlBulletinVolume(registry)
    week = await volume.volumes(NOW, NOW + timedelta(days=7))
    assert week == {
        "zone:5324": RoomVolume(normal=3, urgent=1),
        "zone:5327": RoomVolume(normal=1, urgent=0),
    }
    assert await volume.volumes(NOW, NOW + timedelta(days=7), ["zone:5327"]) == {
        "zone:5327": RoomVolume(normal=1)
    }
    assert await volume.volumes(NOW, NOW + timedelta(days=7), []) == {}
    # the period's start counts, its end does not
    assert await volume.volumes(NOW + timedelta(hours=1), NOW + timedelta(hours=3)) == {
        "zone:5324": RoomVolume(normal=2)
    }
