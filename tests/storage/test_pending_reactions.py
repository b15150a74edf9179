"""A reaction that comes before its bulletin's record is held once and counted when the record
is written; one on anything else is held a while and dropped (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from bots.reactions import on_reaction
from phenomena.alert import parse_ref
from phenomena.storage.bulletins import PENDING_FOR, BulletinRecord
from phenomena.storage.database import Database
from phenomena.storage.schema import AcknowledgementRow, PendingReactionRow
from phenomena.territory import TerritoryRegistry
from tests.support.alert_desk import Desk, ref_in

ALERT = """!alert new
type: vandalism
area: Mons
from: 2026-11-14
tlp: amber
summary: Bus shelters smashed at night."""


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


async def held(db: Database) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(PendingReactionRow)) or 0)


async def published(desk: Desk) -> int:
    ref = ref_in(await desk.say("analyste.mons", ALERT))
    await desk.say("analyste.mons", f"!alert publish {ref}")
    return parse_ref(ref)


async def test_a_reaction_before_the_bulletins_record_is_counted_when_it_is_written(
    desk: Desk,
) -> None:
    alert_id = await published(desk)
    reader = await desk.member("analist.oostende")
    # the bulletin is sent as $early, but its record is not written yet
    assert await on_reaction(desk.desk, reader, "$thumb", "$early", "👍") == "pending"
    assert await on_reaction(desk.desk, reader, "$thumb", "$early", "👍") == "pending"  # replay
    assert await held(desk.db) == 1
    assert await desk.ledger.acknowledgements(alert_id) == {}

    await desk.ledger.record_bulletin(BulletinRecord(alert_id, "zone:53", "!z", "$early", 1))
    assert await desk.ledger.acknowledgements(alert_id) == {reader.organisation: [reader.matrix_id]}
    assert await held(desk.db) == 0
    # a later reaction on the recorded bulletin is found at once
    other = await desk.member("analyste.mons")
    assert await on_reaction(desk.desk, other, "$heart", "$early", "❤️") == "acknowledged"
    assert await desk.ledger.acknowledgements(alert_id) == {
        reader.organisation: [reader.matrix_id],
        other.organisation: [other.matrix_id],
    }


async def test_a_reaction_on_anything_else_acknowledges_nothing_and_is_dropped_later(
    desk: Desk,
) -> None:
    alert_id = await published(desk)
    reader = await desk.member("analist.oostende")
    assert await on_reaction(desk.desk, reader, "$r1", "$colleague", "👍") == "pending"
    assert await held(desk.db) == 1
    desk.clock.now += PENDING_FOR + timedelta(seconds=1)
    assert await on_reaction(desk.desk, reader, "$r2", "$another", "👍") == "pending"
    assert await held(desk.db) == 1  # the first one is gone
    assert await desk.ledger.acknowledgements(alert_id) == {}


async def test_a_reaction_and_its_bulletins_record_at_the_same_moment_never_miss(
    desk: Desk,
) -> None:
    alert_id = await published(desk)
    reader = await desk.member("analist.oostende")
    for n in range(20):
        target = f"$bulletin-{n}"
        record = BulletinRecord(alert_id, f"room-{n}", "!z", target, 1)
        await asyncio.gather(
            desk.ledger.hold_reaction(f"$r{n}", target, reader.matrix_id, reader.organisation),
            desk.ledger.record_bulletin(record),
        )
        async with desk.db.sessions() as session:
            seen = await session.scalar(
                select(func.count())
                .select_from(AcknowledgementRow)
                .where(AcknowledgementRow.alert_id == alert_id)
            )
        assert seen == 1, f"round {n}: the reaction was missed"
        async with desk.db.sessions() as session, session.begin():
            await session.execute(delete(AcknowledgementRow))
    assert await held(desk.db) == 0
