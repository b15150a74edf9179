"""Escalation timers on SQLite and PostgreSQL: planned from the state, fired once with whom they
called, stopped by an acknowledgement or a decision, quiet hours applied, moderators in turn."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest

from bots.escalation_views import escalation_lines
from phenomena.escalation import ACK, FIRED, MODERATION, STOPPED, WAITING
from phenomena.notify_prefs import NotifyPreference, QuietHours
from phenomena.priority import Priority
from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from tests.support.alert_desk import Desk, user
from tests.support.escalation import Escalations, green, publish

OOSTENDE_ZONE = "5449"


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


async def test_an_unacknowledged_alert_calls_the_on_duty_member_once(desk: Desk) -> None:
    escalations = Escalations(desk)
    start = desk.clock()
    alert_id = await publish(desk, "inspecteur.mons", green("Rear doors forced in Hyon."))
    await escalations.on_duty("prevention.quevy", "zone", "5324")

    assert await escalations.round(start + timedelta(minutes=59)) == []
    [step] = await escalations.store.steps(alert_id)
    assert (step.kind, step.state, step.due_at) == (ACK, WAITING, start + timedelta(minutes=60))

    [said] = await escalations.round(start + timedelta(minutes=61))
    bulletins = await desk.ledger.bulletins(alert_id)
    assert said.room == bulletins["zone:5324"].room_id
    assert said.thread == bulletins["zone:5324"].event_id
    assert said.mentions == [user("prevention.quevy")]
    assert "Sophie Martin" in said.body and f"A-{alert_id}" in said.body
    assert "aucune organisation destinataire" in said.body  # the zone room speaks French
    assert "Rear doors" not in said.body
    assert user("prevention.quevy") in said.content["formatted_body"]  # a pill

    # later rounds, and a job made anew as after a restart, fire nothing more
    assert await escalations.round(start + timedelta(minutes=62)) == []
    assert await escalations.round(start + timedelta(hours=5)) == []
    [step] = await escalations.store.steps(alert_id)
    assert step.state == FIRED and step.detail is not None
    assert step.detail["rooms"]["zone:5324"]["mentioned"] == [user("prevention.quevy")]
    assert "prevention.quevy" in "\n".join(escalation_lines([step]))


async def test_an_acknowledgement_by_a_routed_organisation_stops_the_timer(desk: Desk) -> None:
    escalations = Escalations(desk)
    start = desk.clock()
    alert_id = await publish(desk, "inspecteur.mons", green("Garage doors forced in Nimy."))
    await escalations.on_duty("prevention.quevy", "zone", "5324")
    await escalations.round(start + timedelta(minutes=40))
    await desk.ledger.acknowledge(alert_id, user("prevention.mons"), "pcs-mons", "zone:5324")

    assert await escalations.round(start + timedelta(minutes=61)) == []
    [step] = await escalations.store.steps(alert_id)
    assert step.state == STOPPED and step.detail == {"stopped": "acknowledged"}


async def test_info_alerts_never_escalate(desk: Desk) -> None:
    escalations = Escalations(desk)
    start = desk.clock()
    alert_id = await publish(desk, "inspecteur.mons", green("Bicycle thefts at the station."))
    await escalations.set_priority(alert_id, Priority.INFO.value)
    await escalations.on_duty("prevention.quevy", "zone", "5324")
    assert await escalations.round(start + timedelta(days=3)) == []
    assert await escalations.store.steps(alert_id) == []


async def test_quiet_hours_hold_back_a_normal_mention_and_let_an_urgent_one_through(
    desk: Desk,
) -> None:
    escalations = Escalations(desk)
    start = desk.clock()  # 09:00 UTC, 10:00 in Brussels
    normal = await publish(desk, "inspecteur.mons", green("Normal: cellar doors forced."))
    urgent = await publish(desk, "inspecteur.mons", green("Urgent: armed robbery in Nimy."))
    await escalations.set_priority(urgent, Priority.URGENT.value)
    await escalations.on_duty("prevention.quevy", "zone", "5324")
    await escalations.on_duty("prevention.mons", "zone", "5324")
    quiet = QuietHours(time(6, 0), time(22, 0))  # covers the whole test day in Brussels
    await escalations.preferences.set(NotifyPreference(user("prevention.quevy"), quiet=quiet))

    said = await escalations.round(start + timedelta(hours=3))
    by_alert = {s.tx_id.split("-")[2]: s for s in said}
    assert by_alert[str(normal)].mentions == [user("prevention.mons")]
    assert sorted(by_alert[str(urgent)].mentions) == [
        user("prevention.mons"),
        user("prevention.quevy"),
    ]
    step = await escalations.store.step(normal, ACK, 1)
    assert step is not None and step.detail is not None
    assert step.detail["rooms"]["zone:5324"]["held"] == [user("prevention.quevy")]
    assert "held back by their preferences: Sophie Martin" in "\n".join(escalation_lines([step]))


async def test_a_pending_alert_calls_the_province_then_the_federal_moderators(desk: Desk) -> None:
    escalations = Escalations(desk)
    start = desk.clock()
    ref = await desk.say("prevention.mons", green("Fake police officers at the door."))
    assert ref is not None
    alert_id = int(ref.text.split()[1].rstrip(":").split("-")[1])
    await desk.say("prevention.mons", f"!alert publish A-{alert_id}")
    await desk.deliver()  # the notice in #moderation; the clock moved 30 minutes
    notice = await desk.ledger.moderation_notice(alert_id)
    assert notice is not None

    await escalations.round(start + timedelta(minutes=50))
    [province] = await escalations.round(start + timedelta(minutes=61))
    assert province.room == notice[0] and province.thread == notice[1]
    assert province.mentions == [user("analyste.mons")]  # Hainaut's moderator, not Oostende's
    assert "province" in province.body and "!approve" in province.body

    [federal] = await escalations.round(start + timedelta(minutes=121))
    assert federal.mentions == [user("admin")]  # the federal service's administrator
    assert "federal" in federal.body
    steps = await escalations.store.steps(alert_id)
    assert [(s.kind, s.level, s.state) for s in steps] == [
        (MODERATION, 1, FIRED),
        (MODERATION, 2, FIRED),
    ]


async def test_a_decision_stops_the_moderation_escalation(desk: Desk) -> None:
    escalations = Escalations(desk)
    start = desk.clock()
    ref = await desk.say("prevention.mons", green("Scam calls from 'the bank'."))
    assert ref is not None
    alert_id = int(ref.text.split()[1].rstrip(":").split("-")[1])
    await desk.say("prevention.mons", f"!alert publish A-{alert_id}")
    await desk.deliver()
    await escalations.round(start + timedelta(minutes=61))
    await desk.say("analyste.mons", f"!approve A-{alert_id}")
    await desk.deliver()

    later = await escalations.round(start + timedelta(hours=5))
    assert [s.tx_id for s in later if "-moderation-" in s.tx_id] == []
    by_level = {s.level: s.state for s in await escalations.store.steps(alert_id)}
    assert by_level[1] == FIRED and by_level[2] == STOPPED


async def test_with_nobody_on_duty_moderation_is_told(desk: Desk) -> None:
    escalations = Escalations(desk)
    start = desk.clock()
    alert_id = await publish(desk, "inspecteur.mons", green("Copper stolen from a depot."))

    [said] = await escalations.round(start + timedelta(minutes=61))
    assert said.room == "!moderation" and said.mentions == []
    assert f"A-{alert_id} (TLP:GREEN)" in said.body and "prevnet duty set" in said.body
    assert "Copper" not in said.body


async def test_an_alert_made_urgent_is_escalated_on_the_urgent_timer(desk: Desk) -> None:
    """A normal alert (timer 60 min here) made urgent afterwards must call within the urgent
    timer (30 min) of its first bulletin, not keep the normal one."""
    escalations = Escalations(desk)
    start = desk.clock()
    alert_id = await publish(desk, "inspecteur.mons", green("Van circling the school."))
    await escalations.on_duty("prevention.quevy", "zone", "5324")
    assert await escalations.round(start + timedelta(minutes=1)) == []  # planned as normal
    await escalations.set_priority(alert_id, Priority.URGENT.value)
    [said] = await escalations.round(start + timedelta(minutes=31))
    assert said.mentions == [user("prevention.quevy")]


async def test_a_step_that_cannot_fire_holds_back_no_other(desk: Desk) -> None:
    """One zone's rota failing (a bad record, a lost connection) leaves the others' calls alone:
    the failed step stays waiting and fires once its zone answers again."""
    broken: set[str] = {"5324"}
    escalations = Escalations(desk)
    rota = escalations.on_duty_now

    async def on_duty(scope: str, areas: Any, at: datetime) -> list[str]:
        if broken & set(areas):
            raise RuntimeError("the rota of zone 5324 cannot be read")
        return await rota(scope, areas, at)

    escalations.on_duty_now = on_duty  # type: ignore[method-assign]
    start = desk.clock()
    mons = await publish(desk, "inspecteur.mons", green("Rear doors forced in Hyon."))
    oostende = await publish(
        desk, "analist.oostende", green("Fietsdiefstallen aan het station.", area="Oostende")
    )
    await escalations.on_duty("prevention.quevy", "zone", "5324")
    await escalations.on_duty("preventie.oostende", "zone", OOSTENDE_ZONE)

    said = await escalations.round(start + timedelta(hours=25))
    assert [s.mentions for s in said] == [[user("preventie.oostende")]]
    [step] = await escalations.store.steps(mons)
    assert step.state == WAITING
    [step] = await escalations.store.steps(oostende)
    assert step.state == FIRED

    broken.clear()
    said = await escalations.round(start + timedelta(hours=26))
    assert [s.mentions for s in said] == [[user("prevention.quevy")]]
