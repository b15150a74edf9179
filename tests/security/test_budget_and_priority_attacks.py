"""Priority and the budget against members who try their luck: nobody but the author confirms or
folds a held draft (and the attempt tells nothing of it), the budget prompt names the routing in
the author's direct chat only, folding changes the priority and nothing else, and a RED info
alert stays with its recipients: only its own room, no zone-room digest, no listing for others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bots.digest import digest_text
from bots.i18n import Labels
from phenomena.alert import AlertStatus, parse_ref
from phenomena.digest import room_digest
from phenomena.priority import Priority
from phenomena.services.budget import WeeklyBudget
from phenomena.storage.bulletin_volume import SqlBulletinVolume
from phenomena.storage.database import Database
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from tests.support.alert_desk import Desk, Posted, ref_in, user

BUDGET = 1
ALERT = """!alert new
type: vandalism
area: Mons
from: 2026-11-20
tlp: {tlp}
{extra}summary: {summary}"""
SECRET = "Informant says the depot is next"


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    found.clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    await found.load_demo()
    found.desk.budget = WeeklyBudget(SqlBulletinVolume(db), BUDGET, "Europe/Brussels")
    return found


async def draft(desk: Desk, who: str, summary: str, tlp: str = "amber", extra: str = "") -> str:
    text = ALERT.format(tlp=tlp, extra=extra, summary=summary)
    return ref_in(await desk.say(who, text))


async def fill_the_budget(desk: Desk) -> None:
    ref = await draft(desk, "inspecteur.mons", "The week's first.")
    await desk.say("inspecteur.mons", f"!alert publish {ref}")
    await desk.deliver()


async def digests(desk: Desk) -> dict[str, str]:
    """Every zone and province room's digest text, as the weekly job writes them."""
    async with SqlUnitOfWork(desk.db.sessions) as uow:
        alerts = list(await uow.alerts.list())
    now = desk.clock()
    volumes = await SqlBulletinVolume(desk.db).volumes(now - timedelta(days=7), now)
    texts = {}
    for key in sorted(desk.existing):
        if key.startswith(("zone:", "province:")):
            digest = room_digest(key, alerts, now.date(), volume=volumes.get(key), budget=BUDGET)
            texts[key] = digest_text(digest, Labels([]), desk.territories)
    return texts


async def test_only_the_author_confirms_or_folds_a_held_draft(desk: Desk) -> None:
    await fill_the_budget(desk)
    ref = await draft(desk, "inspecteur.mons", "Held for the budget.")
    held = await desk.say("inspecteur.mons", f"!alert publish {ref}")
    assert held is not None and "confirm" in held.text
    # a colleague of the same organisation, an author of another, and a moderator
    for intruder in ("analyste.mons", "analyste.boraine", "analist.oostende"):
        for command in (f"!alert publish {ref} confirm", f"!alert fold {ref}"):
            reply = await desk.say(intruder, command)
            assert reply is not None, (intruder, command)
            assert "zone:" not in reply.text and "budget" not in reply.text  # nothing told
            assert "not your draft" in reply.text or "no alert" in reply.text
    alert = await desk.alert(parse_ref(ref))
    assert alert.status is AlertStatus.DRAFT and alert.content.priority is Priority.NORMAL
    assert not [p for p in await desk.deliver() if not p.room.startswith("!dm:")]


async def test_the_budget_prompt_goes_to_the_authors_direct_chat(desk: Desk) -> None:
    await fill_the_budget(desk)
    ref = await draft(desk, "inspecteur.mons", "Typed in the zone room.")
    held = await desk.say(
        "inspecteur.mons", f"!alert publish {ref}", room="zone:5324", readers=["prevention.mons"]
    )
    assert held is not None and held.private and "zone:5324" in held.text
    assert "zone:" not in held.pointer and ref not in held.pointer


def shared(posted: list[Posted]) -> list[Posted]:
    """What went to zone and province rooms (not direct chats, not an alert's own room)."""
    return [p for p in posted if p.room.startswith(("!zone:", "!province:"))]


async def test_folding_keeps_a_red_alert_with_its_recipients(desk: Desk) -> None:
    await fill_the_budget(desk)
    ref = await draft(desk, "inspecteur.mons", SECRET, tlp="red")
    folded = await desk.say("inspecteur.mons", f"!alert fold {ref}")
    assert folded is not None and "only in its own room, for its recipients" in folded.text
    alert = await desk.alert(parse_ref(ref))
    assert alert.content.tlp is Tlp.RED and alert.content.priority is Priority.INFO
    own = f"alert:{alert.id}"
    assert alert.rooms == (own,)  # routed as before: its own room only
    posted = await desk.deliver()
    assert shared(posted) == []
    assert [p.room for p in posted if SECRET in p.body] == [f"!{own}"]
    # its room is made for exactly its recipients, as for any RED alert: the zone's police
    recipients = set(desk.rooms.members[own])
    assert recipients == {user("inspecteur.mons"), user("analyste.mons")}
    for room, text in (await digests(desk)).items():
        assert ref not in text and SECRET not in text, room
    outsider = await desk.say("prevention.mons", "!alert list")  # in the zone, no recipient
    assert outsider is not None and ref not in outsider.text


async def test_a_red_info_alert_is_in_no_digest_and_no_zone_room(desk: Desk) -> None:
    ref = await draft(desk, "inspecteur.mons", SECRET, tlp="red", extra="priorité: info\n")
    assert await desk.say("inspecteur.mons", f"!alert publish {ref}") is None
    posted = await desk.deliver()
    assert shared(posted) == []
    alert = await desk.alert(parse_ref(ref))
    assert [p.room for p in posted if SECRET in p.body] == [f"!alert:{alert.id}"]
    assert not any("@room" in p.body for p in posted)  # info mentions nobody
    for room, text in (await digests(desk)).items():
        assert ref not in text and SECRET not in text, room


async def test_an_info_alert_cannot_widen_past_its_tlp_by_being_folded(desk: Desk) -> None:
    # AMBER+STRICT stays in the affected zone: folding it puts it in that zone's digest only
    ref = await draft(desk, "inspecteur.mons", SECRET, tlp="amber+strict")
    await desk.say("inspecteur.mons", f"!alert fold {ref}")
    alert = await desk.alert(parse_ref(ref))
    assert alert.content.tlp is Tlp.AMBER_STRICT and alert.rooms == ("zone:5324",)
    for room, text in (await digests(desk)).items():
        assert (SECRET in text) is (room == "zone:5324"), room


async def test_publishing_as_info_then_making_it_normal_is_held_too(desk: Desk) -> None:
    await fill_the_budget(desk)
    ref = await draft(desk, "inspecteur.mons", "Round the budget.", extra="priority: info\n")
    assert await desk.say("inspecteur.mons", f"!alert publish {ref}") is None  # info: not held
    assert shared(await desk.deliver()) == []
    held = await desk.say("inspecteur.mons", f"!alert update {ref} priority: normal")
    assert held is not None and "zone:5324 (1)" in held.text
    assert f"!alert update {ref} confirm priority: normal" in held.text
    assert (await desk.alert(parse_ref(ref))).content.priority is Priority.INFO
    assert shared(await desk.deliver()) == []
    done = await desk.say("inspecteur.mons", f"!alert update {ref} confirm\npriority: normal")
    assert done is not None and "is updated (priority)" in done.text
    posted = shared(await desk.deliver())
    assert "!zone:5324" in {p.room for p in posted}
    assert any("Round the budget." in p.body for p in posted)


async def test_making_a_sent_bulletin_info_frees_no_budget(desk: Desk) -> None:
    """The room got the bulletin: folding it afterwards (priority: info) must not count it out
    of the week, or an author posts any number of normal bulletins one fold at a time."""
    await fill_the_budget(desk)
    first = (await desk.alert(1)).ref
    await desk.say("inspecteur.mons", f"!alert update {first} priority: info")
    await desk.deliver()
    assert (await desk.alert(1)).content.priority is Priority.INFO
    ref = await draft(desk, "inspecteur.mons", "One more past the budget.")
    held = await desk.say("inspecteur.mons", f"!alert publish {ref}")
    assert held is not None and "zone:5324 (1)" in held.text
    assert (await desk.alert(parse_ref(ref))).status is AlertStatus.DRAFT


async def test_a_moderated_author_cannot_make_an_approved_alert_urgent(desk: Desk) -> None:
    """A commune's alert was approved as normal: making it urgent afterwards would ring every
    routed room (and again at each normal-urgent toggle) with no moderator's word."""
    ref = await draft(desk, "prevention.mons", "Graffiti on the depot.", tlp="green")
    await desk.say("prevention.mons", f"!alert publish {ref}")
    await desk.say("analyste.mons", f"!approve {ref}")
    await desk.deliver()
    refused = await desk.say("prevention.mons", f"!alert update {ref} priority: urgent")
    assert refused is not None and "moderator" in refused.text
    assert (await desk.alert(parse_ref(ref))).content.priority is Priority.NORMAL
    rang = [p for p in await desk.deliver() if p.content.get("m.mentions", {}).get("room")]
    assert rang == []
    # a moderator may, and police publishing in their own territory may too
    made = await desk.say("analyste.mons", f"!alert update {ref} priority: urgent")
    assert made is not None and "updated" in made.text
    assert [p.room for p in await desk.deliver() if p.content.get("m.mentions", {}).get("room")]
    own = await draft(desk, "inspecteur.mons", "Seen by police.")
    await desk.say("inspecteur.mons", f"!alert publish {own}")
    made = await desk.say("inspecteur.mons", f"!alert update {own} priority: urgent")
    assert made is not None and "updated" in made.text
