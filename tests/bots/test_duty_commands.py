"""``!duty`` and ``!duty take`` on a real database (SQLite and PostgreSQL), as the bot hands the
commands over; the handover note through the real outbox, posted once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bots.commands import Context
from phenomena.duty import DutyPeriod
from phenomena.services.partners import suspend_member
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Dispatcher
from prevnet.duty_wiring import DutyService, duty_service, handover_tx_id
from tests.support.alert_desk import Desk, user


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


def service(desk: Desk) -> DutyService:
    async def member_of(matrix_id: str) -> Any:
        async with SqlUnitOfWork(desk.db.sessions) as unit:
            return await unit.members.get(matrix_id)

    made = duty_service(desk.db, desk.territories, member_of, "Europe/Brussels", desk.clock)
    made.register(desk.registry)
    return made


async def test_duty_in_a_zone_room_names_who_is_on_duty_there(desk: Desk) -> None:
    duty = service(desk)
    reply = await desk.say("prevention.quevy", "!duty", room="zone:5324")
    assert reply is not None and not reply.private
    assert "Personne n'est de permanence pour zone 5324" in reply.text  # the room's French
    assert "!duty take" in reply.text
    start = desk.clock.now - timedelta(hours=1)
    await duty.rota.add(
        [
            DutyPeriod(
                "zone", "5324", user("analyste.mons"), start, start + timedelta(hours=12), "t"
            ),
            DutyPeriod(
                "province", "50000", user("inspecteur.mons"), start, start + timedelta(days=1), "t"
            ),
        ],
        actor="t",
    )
    reply = await desk.say("prevention.quevy", "!duty", room="zone:5324")
    assert reply is not None
    lines = reply.text.splitlines()
    assert lines[0] == "De permanence pour zone 5324 Mons/Quévy en ce moment :"
    assert lines[1] == f"  Claire Lambert ({user('analyste.mons')}), jusqu'au 2026-11-22 21:00"
    assert "Province du Hainaut" in lines[2] and "Marc Delvaux" in lines[3]
    ostend = await desk.say("analist.oostende", "!duty", room="zone:5449")
    assert ostend is not None and "Niemand heeft nu wachtdienst" in ostend.text
    assert "Claire" not in ostend.text  # another zone's room learns nothing of Mons'


async def test_duty_elsewhere_answers_for_its_readers_or_not_at_all(desk: Desk) -> None:
    duty = service(desk)
    start = desk.clock.now
    await duty.rota.add(
        [
            DutyPeriod(
                "zone", "5327", user("analyste.boraine"), start, start + timedelta(hours=2), "t"
            )
        ],
        actor="t",
    )
    moderation = await desk.say("analyste.mons", "!duty", room="moderation")
    assert moderation is not None and "zone 5327" in moderation.text and "Nadia" in moderation.text
    own = await desk.say("analyste.boraine", "!duty")  # the direct chat: one's own duty
    assert own is not None and own.text.startswith("Your duty:\n  zone 5327")
    none = await desk.say("prevention.quevy", "!duty")
    assert none is not None and none.text == "You are not on the duty rota from now on."
    toolbox = await desk.say("prevention.quevy", "!duty", room="toolbox")
    assert toolbox is not None and "zone or province room" in toolbox.text
    assert "Nadia" not in toolbox.text
    member = await desk.member("prevention.quevy")
    unmanaged = Context(member.matrix_id, member, "!stranger:x", None, "$e", None)
    assert await desk.registry.dispatch(unmanaged, "!duty") is None
    assert await desk.registry.dispatch(unmanaged, "!duty take") is None


async def test_an_author_takes_duty_and_a_plain_member_is_refused(desk: Desk) -> None:
    duty = service(desk)
    refused = await desk.say("prevention.quevy", "!duty take", room="zone:5324")
    assert refused is not None and "needs the author or moderator role" in refused.text
    taken = await desk.say("inspecteur.mons", "!duty take 18:00", room="zone:5324")
    assert taken is not None
    assert taken.text.startswith("C'est fait : vous êtes de permanence pour zone 5324")
    assert "2026-11-22 18:00" in taken.text
    again = await desk.say("inspecteur.mons", "!duty take 17:00", room="zone:5324")
    assert again is not None and "déjà de permanence" in again.text
    other = await desk.say("analyste.mons", "!duty take 8h", room="zone:5324")
    assert other is not None and "Marc Delvaux" in other.text and "tous les deux" in other.text
    running = await duty.rota.on_duty("zone", ["5324"], desk.clock.now)
    assert [(p.member, p.source) for p in running] == [
        (user("inspecteur.mons"), "take"),
        (user("analyste.mons"), "take"),
    ]
    wrong = await desk.say("inspecteur.mons", "!duty take someday", room="zone:5324")
    assert wrong is not None and "is not an end" in wrong.text
    elsewhere = await desk.say("analyste.mons", "!duty take", room="moderation")
    assert elsewhere is not None and "works in a zone or province room" in elsewhere.text
    assert len(await duty.rota.upcoming(desk.clock.now)) == 2


async def test_the_handover_note_goes_to_moderation_once(desk: Desk) -> None:
    duty = service(desk)
    start = desk.clock.now + timedelta(minutes=5)
    await duty.rota.add(
        [
            DutyPeriod(
                "zone", "5324", user("inspecteur.mons"), start - timedelta(hours=8), start, "t"
            ),
            DutyPeriod(
                "zone", "5324", user("analyste.mons"), start, start + timedelta(hours=8), "t"
            ),
        ],
        actor="t",
    )
    posted: list[tuple[str, dict[str, Any], str]] = []

    async def post(room_id: str, content: dict[str, Any], *, tx_id: str) -> str:
        posted.append((room_id, content, tx_id))
        return f"$note-{len(posted)}"

    async def room_id_of(key: str) -> str | None:
        return f"!{key}"

    dispatcher = Dispatcher(
        Outbox(desk.db, "test", desk.clock), [duty.subscription(post, room_id_of)], clock=desk.clock
    )
    await duty.look_for_handovers()
    await dispatcher.run_once()
    assert [(room, tx) for room, _, tx in posted] == [("!moderation", handover_tx_id(1))]
    desk.clock.now = start
    for _ in range(2):  # the job runs again and again (and after restarts): one note each
        await duty.look_for_handovers()
        await dispatcher.run_once()
    assert [tx for _, _, tx in posted] == [handover_tx_id(1), handover_tx_id(2)]
    body = posted[1][1]["body"]
    assert body.startswith(
        f"Duty handover: Claire Lambert ({user('analyste.mons')}) is on duty for zone 5324"
    )
    assert "until 2026-11-22 18:05" in body
    assert f"Handed over by Marc Delvaux ({user('inspecteur.mons')})" in body
    assert posted[1][1]["m.mentions"] == {}  # named, not pinged


async def test_a_member_suspended_while_on_the_rota_is_not_shown_as_on_duty(desk: Desk) -> None:
    """The escalation calls active members only: ``!duty`` and the handover note must not tell
    the room that a suspended member covers the area (nobody would be called)."""
    duty = service(desk)
    start = desk.clock.now + timedelta(minutes=5)
    await duty.rota.add(
        [
            DutyPeriod(
                "zone",
                "5324",
                user("analyste.mons"),
                desk.clock.now,
                start + timedelta(hours=8),
                "t",
            ),
            DutyPeriod(
                "zone", "5327", user("analyste.boraine"), start, start + timedelta(hours=8), "t"
            ),
        ],
        actor="t",
    )
    for name in ("analyste.mons", "analyste.boraine"):
        await suspend_member(
            SqlUnitOfWork(desk.db.sessions), user(name), "@admin:x", "on leave", desk.clock.now
        )
    reply = await desk.say("prevention.quevy", "!duty", room="zone:5324")
    assert reply is not None and "Claire" not in reply.text
    assert "Personne n'est de permanence pour zone 5324" in reply.text
    everyone = await desk.say("inspecteur.mons", "!duty", room="moderation")
    assert everyone is not None and "Claire" not in everyone.text

    posted: list[dict[str, Any]] = []

    async def post(room_id: str, content: dict[str, Any], *, tx_id: str) -> str:
        posted.append(content)
        return f"$note-{len(posted)}"

    async def room_id_of(key: str) -> str | None:
        return f"!{key}"

    dispatcher = Dispatcher(
        Outbox(desk.db, "test", desk.clock), [duty.subscription(post, room_id_of)], clock=desk.clock
    )
    desk.clock.now = start
    await duty.look_for_handovers()
    await dispatcher.run_once()
    assert posted == []  # neither period is announced: nobody would answer
