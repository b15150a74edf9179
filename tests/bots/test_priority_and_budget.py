"""Priority and the weekly budget as authors and rooms meet them: the guided entry asks the
priority, an info alert posts no bulletin but is listed and digested, a room at its budget holds
a normal alert until its author confirms or folds it, urgent alerts and moderators are never
held, and the digest tells each room its week's volume (real commands, outbox and database)."""

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
from tests.support.alert_desk import Desk, Posted, direct, ref_in, user

BUDGET = 2
ALERT = """!alert new
type: vandalism
area: Mons
from: 2026-11-20
tlp: amber
{priority}summary: {summary}"""


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    found.clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday
    await found.load_demo()
    found.desk.budget = WeeklyBudget(SqlBulletinVolume(db), BUDGET, "Europe/Brussels")
    return found


async def draft(desk: Desk, who: str, summary: str, priority: str = "") -> str:
    line = f"priority: {priority}\n" if priority else ""
    return ref_in(await desk.say(who, ALERT.format(priority=line, summary=summary)))


def bulletins(posted: list[Posted]) -> list[Posted]:
    """What went to shared rooms (the direct chats get what the author is told)."""
    return [p for p in posted if not p.room.startswith("!dm:")]


async def published(desk: Desk, who: str, summary: str, priority: str = "") -> str:
    ref = await draft(desk, who, summary, priority)
    assert await desk.say(who, f"!alert publish {ref}") is None  # told once it is out
    return ref


async def digest_of(desk: Desk, room: str) -> str:
    async with SqlUnitOfWork(desk.db.sessions) as uow:
        alerts = list(await uow.alerts.list())
    now = desk.clock()  # as the weekly digest job counts: the 7 days before it runs
    week = await SqlBulletinVolume(desk.db).volumes(now - timedelta(days=7), now)
    digest = room_digest(room, alerts, now.date(), volume=week.get(room), budget=BUDGET)
    return digest_text(digest, Labels([]), desk.territories)


async def test_the_guided_entry_asks_the_priority(desk: Desk) -> None:
    answers = ["vandalism", "Mons", "2026-11-20", "-", "amber"]
    for answer in ["!alert new", *answers]:
        reply = await desk.say("inspecteur.mons", answer)
    assert reply is not None and "priority: urgent, normal or info" in reply.text
    wrong = await desk.say("inspecteur.mons", "très haute")
    assert wrong is not None and "unknown priority 'très haute'" in wrong.text
    assert "write urgent, normal or info" in wrong.text and "priority:" in wrong.text
    await desk.say("inspecteur.mons", "dringend")
    await desk.say("inspecteur.mons", "Bus shelters smashed.")
    await desk.say("inspecteur.mons", "-")
    last = await desk.say("inspecteur.mons", "-")
    alert = await desk.alert(parse_ref(ref_in(last)))
    assert alert.content.priority is Priority.URGENT and alert.status is AlertStatus.DRAFT


async def test_an_info_alert_posts_no_bulletin_but_is_listed_and_digested(desk: Desk) -> None:
    ref = await published(desk, "inspecteur.mons", "Graffiti on the town hall.", "info")
    posted = await desk.deliver()
    assert bulletins(posted) == []
    told = [p.body for p in posted if p.room == direct(user("inspecteur.mons"))]
    assert any(f"{ref} is published as info" in body for body in told)
    assert (await desk.alert(parse_ref(ref))).status is AlertStatus.PUBLISHED
    listing = await desk.say("prevention.mons", "!alert list")
    assert listing is not None
    assert f"{ref} TLP:AMBER vandalism in Mons (published, from 20/11) [info]" in listing.text
    text = await digest_of(desk, "zone:5324")
    assert f"{ref} TLP:AMBER Vandalism: Mons [info]" in text
    assert "Graffiti on the town hall." in text  # no bulletin said it: the digest does


async def test_a_room_at_its_budget_holds_a_normal_alert_until_confirmed(desk: Desk) -> None:
    for n in range(BUDGET):
        await published(desk, "inspecteur.mons", f"Shelter number {n} smashed.")
        await desk.deliver()
    preview = await desk.say(
        "inspecteur.mons", ALERT.format(priority="", summary="And a third one.")
    )
    ref = ref_in(preview)
    assert (
        preview is not None
        and "already had 2 normal bulletin(s), the weekly budget" in preview.text
    )
    held = await desk.say("inspecteur.mons", f"!alert publish {ref}")
    assert held is not None and "zone:5324 (2)" in held.text
    assert f"!alert publish {ref} confirm" in held.text and f"!alert fold {ref}" in held.text
    assert (await desk.alert(parse_ref(ref))).status is AlertStatus.DRAFT
    assert bulletins(await desk.deliver()) == []
    assert await desk.say("inspecteur.mons", f"!alert publish {ref} confirm") is None
    posted = bulletins(await desk.deliver())
    assert "!zone:5324" in {p.room for p in posted}
    assert all("And a third one." in p.body for p in posted)
    assert "3 normal, 0 urgent" in await digest_of(desk, "zone:5324")


async def test_folding_publishes_into_the_digest_without_a_bulletin(desk: Desk) -> None:
    for n in range(BUDGET):
        await published(desk, "inspecteur.mons", f"Shelter number {n} smashed.")
    await desk.deliver()
    ref = await draft(desk, "inspecteur.mons", "Benches painted over.")
    assert (await desk.say("inspecteur.mons", f"!alert publish {ref}")) is not None
    folded = await desk.say("inspecteur.mons", f"!alert fold {ref}")
    assert folded is not None and f"{ref} is published as info" in folded.text
    alert = await desk.alert(parse_ref(ref))
    assert alert.status is AlertStatus.PUBLISHED and alert.content.priority is Priority.INFO
    assert bulletins(await desk.deliver()) == []
    text = await digest_of(desk, "zone:5324")
    assert f"{ref} TLP:AMBER Vandalism: Mons [info]" in text and "Benches painted over." in text
    assert "2 normal, 0 urgent" in text  # the folded one took no bulletin of the budget


async def test_urgent_alerts_and_moderators_are_never_held(desk: Desk) -> None:
    for n in range(BUDGET):
        await published(desk, "inspecteur.mons", f"Shelter number {n} smashed.")
    await desk.deliver()
    urgent = await published(desk, "inspecteur.mons", "Arson under way.", "urgent")
    posted = bulletins(await desk.deliver())
    assert any(urgent in p.body and "Arson under way." in p.body for p in posted)
    by_moderator = await published(desk, "analyste.mons", "A moderator's own alert.")
    posted = bulletins(await desk.deliver())
    assert any(by_moderator in p.body for p in posted)
    text = await digest_of(desk, "zone:5324")
    assert "Bulletins in this room in the last 7 days: 3 normal, 1 urgent." in text
    assert f"Budget: {BUDGET} normal bulletins a week." in text


async def test_a_submission_is_held_too_and_its_approval_never_is(desk: Desk) -> None:
    for n in range(BUDGET):
        await published(desk, "inspecteur.mons", f"Shelter number {n} smashed.")
    await desk.deliver()
    # a commune's author: the alert waits for a moderator, and is asked before it is submitted
    ref = await draft(desk, "prevention.mons", "Benches set on fire.")
    held = await desk.say("prevention.mons", f"!alert publish {ref}")
    assert held is not None and f"!alert fold {ref}" in held.text
    folded = await desk.say("prevention.mons", f"!alert fold {ref}")
    assert folded is not None and "sent to the moderators" in folded.text
    assert (await desk.alert(parse_ref(ref))).status is AlertStatus.PENDING_MODERATION
    await desk.deliver()
    await desk.say("analyste.mons", f"!approve {ref}")
    posted = await desk.deliver()
    assert bulletins([p for p in posted if p.room != "!moderation"]) == []
    alert = await desk.alert(parse_ref(ref))
    assert alert.status is AlertStatus.PUBLISHED and alert.content.priority is Priority.INFO
    # a normal one submitted with confirm is approved past the budget: moderators are not held
    other = await draft(desk, "prevention.mons", "Bins overturned.")
    assert "sent to the moderators" in str(
        await desk.say("prevention.mons", f"!alert publish {other} confirm")
    )
    await desk.deliver()
    await desk.say("analyste.mons", f"!approve {other}")
    posted = bulletins(await desk.deliver())
    assert any("Bins overturned." in p.body for p in posted if p.room == "!zone:5324")
