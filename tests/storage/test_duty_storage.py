"""The duty rota's table on SQLite and PostgreSQL: who is on duty, overlaps, handover notes
queued once with their outbox event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from phenomena.duty import DutyPeriod
from phenomena.errors import AlreadyDone
from phenomena.events import DutyHandedOver
from phenomena.storage.database import Database
from phenomena.storage.duty import SqlDutyRota
from phenomena.storage.outbox import Outbox
from phenomena.storage.repositories import SqlAuditLog

CLAIRE = "@claire:prevnet.test"
MARC = "@marc:prevnet.test"
T0 = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)


def period(
    who: str, start_h: float, end_h: float, area: str = "5324", scope: str = "zone"
) -> DutyPeriod:
    return DutyPeriod(
        scope, area, who, T0 + timedelta(hours=start_h), T0 + timedelta(hours=end_h), "cli:t"
    )


async def test_on_duty_by_area_and_time(db: Database) -> None:
    rota = SqlDutyRota(db)
    stored = await rota.add(
        [
            period(CLAIRE, 0, 14),
            period(MARC, 14, 24),
            period(MARC, 0, 48, "5327"),
            period(CLAIRE, 0, 24, "50000", "province"),
        ],
        actor="cli:t",
    )
    assert [p.id for p in stored] == sorted(p.id for p in stored if p.id is not None)
    assert stored[0].set_at is not None and stored[0].handover_posted_at is None
    at = T0 + timedelta(hours=13, minutes=59)
    assert [p.member for p in await rota.on_duty("zone", ["5324"], at)] == [CLAIRE]
    assert [(p.area, p.member) for p in await rota.on_duty("zone", ["5327", "5324"], at)] == [
        ("5324", CLAIRE),
        ("5327", MARC),
    ]
    assert [p.member for p in await rota.on_duty("zone", ["5324"], T0 + timedelta(hours=14))] == [
        MARC
    ]
    assert await rota.on_duty("zone", ["5324"], T0 - timedelta(seconds=1)) == []
    assert await rota.on_duty("zone", [], at) == []
    assert [p.scope for p in await rota.on_duty("province", ["50000"], at)] == ["province"]
    on = (await rota.on_duty("zone", ["5324"], at))[0]
    assert on.starts_at == T0 and on.ends_at.tzinfo is not None  # aware on both backends


async def test_overlapping_and_upcoming(db: Database) -> None:
    rota = SqlDutyRota(db)
    first, second, elsewhere = await rota.add(
        [period(CLAIRE, 0, 14), period(MARC, 14, 24), period(MARC, 0, 5, "5327")], actor="cli:t"
    )
    assert [
        p.id
        for p in await rota.overlapping(
            "zone", "5324", T0 + timedelta(hours=13), T0 + timedelta(hours=15)
        )
    ] == [first.id, second.id]
    # touching ends are no overlap
    assert (
        await rota.overlapping("zone", "5324", T0 + timedelta(hours=24), T0 + timedelta(hours=30))
        == []
    )
    later = T0 + timedelta(hours=15)
    assert [p.id for p in await rota.upcoming(later)] == [second.id]
    assert [p.id for p in await rota.upcoming(T0, member=MARC)] == [second.id, elsewhere.id]
    assert [p.id for p in await rota.upcoming(T0, scope="zone", area="5327")] == [elsewhere.id]


async def test_entries_are_audited_and_can_be_removed(db: Database) -> None:
    rota = SqlDutyRota(db)
    (stored,) = await rota.add([period(CLAIRE, 0, 14)], actor="cli:admin")
    assert stored.id is not None
    removed = await rota.remove(stored.id, actor="cli:admin")
    assert removed is not None and removed.member == CLAIRE
    assert await rota.get(stored.id) is None
    assert await rota.remove(stored.id, actor="cli:admin") is None
    async with db.sessions() as session:
        actions = [(e.actor, e.action, e.subject) for e in await SqlAuditLog(session).list()]
    assert actions == [
        ("cli:admin", "duty.remove", CLAIRE),
        ("cli:admin", "duty.cli", CLAIRE),
    ]


async def test_a_chat_command_stores_its_duty_once(db: Database) -> None:
    rota = SqlDutyRota(db)
    await rota.add([period(CLAIRE, 0, 14)], actor=CLAIRE, once="$event-1")
    with pytest.raises(AlreadyDone):
        await rota.add([period(CLAIRE, 0, 14)], actor=CLAIRE, once="$event-1")
    assert len(await rota.upcoming(T0)) == 1


async def test_handover_notes_are_queued_once_with_who_handed_over(db: Database) -> None:
    rota = SqlDutyRota(db)
    first, second, later = await rota.add(
        [period(CLAIRE, 0, 14), period(MARC, 14, 24), period(MARC, 30, 40)], actor="cli:t"
    )
    assert [p.id for p in await rota.starting_without_handover(T0 + timedelta(hours=1))] == [
        first.id
    ]
    events = await rota.record_handovers(T0 + timedelta(hours=1))
    assert [e.period_id for e in events] == [first.id]
    assert events[0].previous_member is None and events[0].member == CLAIRE
    assert await rota.record_handovers(T0 + timedelta(hours=2)) == []  # posted once

    events = await rota.record_handovers(T0 + timedelta(hours=14))
    assert events == [
        DutyHandedOver(
            period_id=second.id or 0,
            scope="zone",
            area="5324",
            member=MARC,
            starts_at=second.starts_at.isoformat(),
            ends_at=second.ends_at.isoformat(),
            previous_member=CLAIRE,
            previous_ends_at=first.ends_at.isoformat(),
        )
    ]
    stored = await rota.get(second.id or 0)
    assert stored is not None and stored.handover_posted_at == T0 + timedelta(hours=14)
    # the events are in the outbox, committed with the marks
    queued = [e for _, e in await Outbox(db, "t").events() if isinstance(e, DutyHandedOver)]
    assert [e.period_id for e in queued] == [first.id, second.id]
    # a period that began and ended while nobody looked is not announced late
    assert await rota.record_handovers(T0 + timedelta(hours=41)) == []
    assert await rota.mark_handover(later.id or 0, T0) is True
    assert await rota.mark_handover(later.id or 0, T0) is False
