"""Usefulness votes on SQLite and PostgreSQL: a member's latest word replaces the earlier one,
counts are read per alert and, for a period, for every alert in one query, and a 👍/👎 that
comes before its bulletin's record is counted when the record is written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bots.reactions import on_reaction
from phenomena.alert import parse_ref
from phenomena.storage.bulletins import BulletinRecord
from phenomena.storage.database import Database
from phenomena.storage.retention import purge_personal_data
from phenomena.storage.schema_attention import PendingVoteRow
from phenomena.storage.usefulness import SqlUsefulness
from phenomena.territory import TerritoryRegistry
from phenomena.usefulness import COMMAND, REACTION, Tally, Vote
from tests.support.alert_desk import Desk, ref_in, user

VANDALISM = """!alert new
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


async def published(desk: Desk) -> int:
    ref = ref_in(await desk.say("analyste.mons", VANDALISM))
    await desk.say("analyste.mons", f"!alert publish {ref}")
    return parse_ref(ref)


async def test_the_latest_word_of_a_member_counts(desk: Desk) -> None:
    alert_id = await published(desk)
    votes = SqlUsefulness(desk.db, desk.clock)
    quevy, mons = user("prevention.quevy"), user("prevention.mons")
    assert await votes.vote(Vote(alert_id, quevy, "pcs-quevy", True, REACTION)) is None
    assert await votes.vote(Vote(alert_id, mons, "pcs-mons", True, COMMAND)) is None
    assert await votes.tally(alert_id) == Tally(yes=2, no=0)
    assert await votes.vote(Vote(alert_id, quevy, "pcs-quevy", False, COMMAND)) is True
    assert await votes.tally(alert_id) == Tally(yes=1, no=1)
    assert await votes.votes(alert_id) == [
        Vote(alert_id, mons, "pcs-mons", True, COMMAND),
        Vote(alert_id, quevy, "pcs-quevy", False, COMMAND),
    ]
    assert await votes.tally(alert_id + 1) == Tally()


async def test_counts_for_a_period_take_the_alerts_created_in_it(desk: Desk) -> None:
    old = await published(desk)
    desk.clock.now += timedelta(weeks=13)
    recent = await published(desk)
    votes = SqlUsefulness(desk.db, desk.clock)
    for alert_id in (old, recent):
        await votes.vote(Vote(alert_id, user("prevention.quevy"), "pcs-quevy", True, COMMAND))
    await votes.vote(Vote(recent, user("prevention.mons"), "pcs-mons", False, COMMAND))
    since = desk.clock.now - timedelta(weeks=12)
    assert await votes.tallies_since(since) == {recent: Tally(yes=1, no=1)}
    assert await votes.tallies_since(since - timedelta(weeks=2)) == {
        old: Tally(yes=1),
        recent: Tally(yes=1, no=1),
    }


async def test_a_thumb_before_the_bulletins_record_votes_when_it_is_written(desk: Desk) -> None:
    alert_id = await published(desk)
    votes = SqlUsefulness(desk.db, desk.clock)
    desk.desk.usefulness = votes
    quevy = await desk.member("prevention.quevy")
    mons = await desk.member("prevention.mons")
    frameries = await desk.member("prevention.frameries")
    # the bulletin is sent as $early in !zone:5324, but its record is not written yet
    assert await on_reaction(desk.desk, quevy, "$q1", "$early", "👍", "!zone:5324") == "pending"
    desk.clock.now += timedelta(seconds=1)
    assert await on_reaction(desk.desk, quevy, "$q2", "$early", "👎🏽", "!zone:5324") == "pending"
    assert await on_reaction(desk.desk, mons, "$m1", "$early", "👍", "!zone:5324") == "pending"
    assert await on_reaction(desk.desk, frameries, "$f1", "$early", "👍", "!elsewhere") == "pending"
    assert await votes.tally(alert_id) == Tally()

    await desk.ledger.record_bulletin(
        BulletinRecord(alert_id, "zone:5324", "!zone:5324", "$early", 1)
    )
    assert await votes.votes(alert_id) == [
        Vote(alert_id, mons.matrix_id, "pcs-mons", True, REACTION),
        Vote(alert_id, quevy.matrix_id, "pcs-quevy", False, REACTION),  # the latest word
    ]  # the one made in another room counts for nothing
    async with desk.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(PendingVoteRow)) == 0


async def test_retention_purges_the_votes_of_an_ended_alert_with_its_acknowledgements(
    desk: Desk,
) -> None:
    ended, still_open = await published(desk), await published(desk)
    votes = SqlUsefulness(desk.db, desk.clock)
    for alert_id in (ended, still_open):
        await votes.vote(Vote(alert_id, user("prevention.quevy"), "pcs-quevy", True, COMMAND))
    await desk.say("analyste.mons", f"!alert close A-{ended} over")
    desk.clock.now += timedelta(days=2)
    await purge_personal_data(desk.db, desk.clock.now - timedelta(days=1))
    assert await votes.votes(ended) == []
    assert await votes.tally(still_open) == Tally(yes=1)
