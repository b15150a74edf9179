"""``!useful`` and 👍/👎 on bulletins, with the real commands, delivery and ledger on SQLite and
PostgreSQL (no homeserver: ``tests/matrix/test_usefulness.py`` plays them on a real one)."""

from __future__ import annotations

import pytest

from bots.digest import digest_text
from bots.i18n import Labels
from bots.prefs_commands import register_prefs_commands
from bots.reactions import on_reaction
from bots.useful_commands import register_useful_commands
from phenomena.alert import parse_ref
from phenomena.digest import room_digest
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.notify_prefs import SqlNotifyPreferences
from phenomena.storage.usefulness import SqlUsefulness
from phenomena.territory import TerritoryRegistry
from phenomena.usefulness import Tally
from tests.support.alert_desk import Desk, ref_in

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
    found.desk.usefulness = SqlUsefulness(db, found.clock)
    notify = SqlNotifyPreferences(db, found.clock)
    register_prefs_commands(
        found.registry, SqlEmailDeliveries(db), email_enabled=False, notify=notify
    )
    register_useful_commands(found.registry, found.desk, notify)
    return found


async def published(desk: Desk) -> int:
    ref = ref_in(await desk.say("analyste.mons", VANDALISM))
    await desk.say("analyste.mons", f"!alert publish {ref}")
    await desk.deliver()
    return parse_ref(ref)


def votes(desk: Desk) -> SqlUsefulness:
    assert isinstance(desk.desk.usefulness, SqlUsefulness)
    return desk.desk.usefulness


async def test_a_member_who_received_it_votes_and_changes_their_vote_privately(
    desk: Desk,
) -> None:
    alert_id = await published(desk)
    reply = await desk.say(
        "prevention.quevy", f"!useful A-{alert_id} oui", room="zone:5324", readers=["analyste.mons"]
    )
    assert reply is not None and reply.private
    assert f"your vote on A-{alert_id} is counted" in reply.text
    assert "1 useful, 0 not useful" in reply.text
    assert "useful" not in reply.pointer
    reply = await desk.say("prevention.quevy", f"!useful A-{alert_id} nee")
    assert (
        reply is not None and "is changed" in reply.text and "0 useful, 1 not useful" in reply.text
    )
    assert await votes(desk).tally(alert_id) == Tally(yes=0, no=1)


async def test_the_answer_is_in_the_language_the_member_chose(desk: Desk) -> None:
    alert_id = await published(desk)
    await desk.say("prevention.quevy", "!prefs language nl")
    reply = await desk.say("prevention.quevy", f"!useful A-{alert_id} ja")
    assert reply is not None and "Bedankt" in reply.text and "1 nuttig, 0 niet nuttig" in reply.text


async def test_a_thumb_on_the_bulletin_acknowledges_and_votes(desk: Desk) -> None:
    alert_id = await published(desk)
    bulletin = (await desk.ledger.bulletins(alert_id))["zone:5324"]
    reader = await desk.member("prevention.quevy")
    outcome = await on_reaction(
        desk.desk, reader, "$t1", bulletin.event_id, "👍🏻", bulletin.room_id
    )
    assert outcome == "acknowledged; voted yes"
    assert await desk.ledger.acknowledgements(alert_id) == {"pcs-quevy": [reader.matrix_id]}
    outcome = await on_reaction(desk.desk, reader, "$t2", bulletin.event_id, "👎", bulletin.room_id)
    assert outcome == "already acknowledged; voted no"
    assert await votes(desk).tally(alert_id) == Tally(yes=0, no=1)
    outcome = await on_reaction(desk.desk, reader, "$t3", bulletin.event_id, "❤️", bulletin.room_id)
    assert outcome == "already acknowledged"
    assert await votes(desk).tally(alert_id) == Tally(yes=0, no=1)


async def test_reach_shows_the_alerts_votes_and_the_votes_per_type(desk: Desk) -> None:
    alert_id = await published(desk)
    await desk.say("prevention.quevy", f"!useful A-{alert_id} yes")
    await desk.say("prevention.mons", f"!useful A-{alert_id} yes")
    await desk.say("analyste.boraine", f"!useful A-{alert_id} no")
    reply = await desk.say("analyste.mons", f"!alert reach A-{alert_id}")
    assert reply is not None and "Usefulness: 2 useful, 1 not useful (3 vote(s))." in reply.text
    reply = await desk.say("analyste.mons", "!alert reach")
    assert reply is not None
    assert "Usefulness by phenomenon type, last 12 weeks:" in reply.text
    assert "- Vandalism: 2 useful, 1 not useful" in reply.text


async def test_the_digest_shows_the_rooms_votes_per_type(desk: Desk) -> None:
    alert_id = await published(desk)
    await desk.say("prevention.quevy", f"!useful A-{alert_id} oui")
    async with desk.desk.uow(None) as unit:
        alerts = list(await unit.alerts.list())
    tallies = await votes(desk).tallies_since(desk.clock.now.replace(year=2025))
    digest = room_digest("zone:5324", alerts, desk.clock.now.date(), tallies=tallies)
    text = digest_text(digest, Labels(["fr"]), desk.territories)
    assert "Utilité par type de phénomène, 12 dernières semaines :" in text
    assert "- Vandalisme: 1 utile(s), 0 pas utile(s)" in text
    assert "Oostende" not in text
    assert not room_digest("zone:5449", alerts, desk.clock.now.date(), tallies=tallies).usefulness
