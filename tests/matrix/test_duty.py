"""The duty rota on the real homeserver: ``!duty`` and ``!duty take`` typed by members at their
encrypted clients, and the handover note in ``#moderation``, posted once whatever is retried."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nio
import pytest

from bots.bot import Bot, bot_client
from bots.commands import CommandRegistry, Reply
from bots.network import MatrixNetwork
from bots.synapse_admin import SynapseAdmin
from phenomena.duty import DutyPeriod
from phenomena.events import DutyHandedOver
from phenomena.partners import Member
from phenomena.rooms import MODERATION
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Dispatcher
from prevnet.duty_wiring import DutyService, duty_service
from tests.matrix.test_membership import Registry, make_registry
from tests.support.bots import FIRST_SYNC_SECONDS
from tests.support.people import Person
from tests.support.synapse import LocalHomeserver


@dataclass
class Scene:
    registry: Registry
    db: Database
    network: MatrixNetwork
    bot: Bot
    duty: DutyService
    people: dict[str, Person]

    def dispatcher(self, worker: str = "test") -> Dispatcher:
        return Dispatcher(
            Outbox(self.db, worker),
            [self.duty.subscription(self.bot.post, self.network.room_id)],
            retry_base=0.2,
        )

    async def room(self, key: str) -> str:
        found = await self.network.room_id(key)
        assert found is not None, key
        return found


def notices(person: Person, room_id: str, text: str) -> list[str]:
    return [
        e.body
        for r, e in person.received
        if r == room_id and isinstance(e, nio.RoomMessageNotice) and text in e.body
    ]


def notice_in(room_id: str, text: str) -> Callable[[str, nio.Event], bool]:
    return lambda r, e: r == room_id and isinstance(e, nio.RoomMessageNotice) and text in e.body


@pytest.fixture
async def scene(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    network: MatrixNetwork,
    room_db: Database,
    territories: TerritoryRegistry,
    tmp_path: Path,
) -> AsyncIterator[Scene]:
    registry = make_registry(homeserver)
    await network.reconcile(registry.members.values(), registry.orgs)
    async with SqlUnitOfWork(room_db.sessions) as uow:
        for org in registry.orgs.values():
            await uow.organisations.add(org)
        for member in registry.members.values():
            await uow.members.add(member)
        await uow.commit()

    async def member_of(user_id: str) -> Member | None:
        return next((m for m in registry.members.values() if m.matrix_id == user_id), None)

    duty = duty_service(
        room_db, territories, member_of, "Europe/Brussels", lambda: datetime.now(UTC)
    )
    commands = CommandRegistry()
    duty.register(commands)
    session = await admin.login(homeserver.bot.user_id, homeserver.bot_password)
    store = tmp_path / "bot-store"
    store.mkdir()
    client = bot_client(homeserver.url, session, store)
    bot = Bot(client, commands, member_of, network.key_of_room, direct_room=network.direct_room)
    stop = asyncio.Event()
    running = asyncio.create_task(bot.run(stop))
    people: dict[str, Person] = {}
    for name in ("officer", "analyst", "boraine"):
        who = registry.member(name)
        await admin.put_user(who.matrix_id, password="pw")
        people[name] = Person(homeserver.url, who.matrix_id, tmp_path / name)
        await people[name].login("pw")
    try:
        await asyncio.wait_for(bot.ready.wait(), FIRST_SYNC_SECONDS)
        yield Scene(registry, room_db, network, bot, duty, people)
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
        await client.close()
        for person in people.values():
            await person.close()


async def test_duty_in_a_zone_room_names_who_is_on_duty_in_its_language(scene: Scene) -> None:
    analyst = scene.registry.member("analyst")
    now = datetime.now(UTC)
    await scene.duty.rota.add(
        [DutyPeriod("zone", "5324", analyst.matrix_id, now, now + timedelta(hours=4), "t")],
        actor="t",
    )
    zone = await scene.room("zone:5324")
    officer = scene.people["officer"]
    await officer.say(zone, "!duty")
    answer = await officer.wait_for(notice_in(zone, "De permanence pour zone 5324"))
    assert f"{analyst.display_name} ({analyst.matrix_id}), jusqu'au" in answer.body


async def test_an_author_takes_duty_and_a_plain_member_is_refused(scene: Scene) -> None:
    officer, boraine = scene.people["officer"], scene.people["boraine"]
    zone = await scene.room("zone:5324")
    await officer.say(zone, "!duty take 4h")
    await officer.wait_for(notice_in(zone, "C'est fait : vous êtes de permanence pour zone 5324"))
    on = await scene.duty.rota.on_duty("zone", ["5324"], datetime.now(UTC))
    assert [(p.member, p.source) for p in on] == [(officer.client.user_id, "take")]

    other = await scene.room("zone:5327")
    await boraine.say(other, "!duty take")
    await boraine.wait_for(notice_in(other, "needs the author or moderator role"))
    assert await scene.duty.rota.on_duty("zone", ["5327"], datetime.now(UTC)) == []


async def test_the_handover_note_is_posted_once_in_moderation(scene: Scene) -> None:
    officer_id = scene.registry.member("officer").matrix_id
    now = datetime.now(UTC)
    await scene.duty.rota.add(
        [DutyPeriod("zone", "5324", officer_id, now, now + timedelta(hours=8), "t")], actor="t"
    )
    moderation = await scene.room(MODERATION)
    analyst = scene.people["analyst"]  # a moderator: in #moderation
    await scene.duty.look_for_handovers()
    await scene.dispatcher().run_once()
    note = await analyst.wait_for(notice_in(moderation, "Duty handover:"))
    assert f"Officer ({officer_id}) is on duty for zone 5324" in note.body
    assert "Nobody was on duty for this area before." in note.body

    # the job again, as after a restart, and a delivery retried as after a crash between the
    # post and its record: the homeserver gets the same transaction, not a second note
    again = duty_service(
        scene.db,
        scene.duty.texts.territories,
        scene.duty.texts.member_of,
        "Europe/Brussels",
        lambda: datetime.now(UTC),
    )
    await again.look_for_handovers()
    await scene.dispatcher("restarted").run_once()
    (event,) = [e for _, e in await Outbox(scene.db, "t").events() if isinstance(e, DutyHandedOver)]
    await again.subscription(scene.bot.post, scene.network.room_id).handle(event)
    await scene.bot.send(moderation, Reply("marker: nothing after this"))
    await analyst.wait_for(notice_in(moderation, "marker: nothing after this"))
    assert len(notices(analyst, moderation, "Duty handover:")) == 1


async def test_words_a_member_types_are_echoed_without_the_bots_power_to_ring_the_room(
    scene: Scene,
) -> None:
    """A refusal quotes what was typed ("'@room' is not an end"); with no ``m.mentions`` a
    client's legacy rule would ring the whole room on the bot's power level."""
    boraine = scene.people["boraine"]  # a plain member
    zone = await scene.room("zone:5327")
    await boraine.say(zone, "!duty take @room")
    refusal = await boraine.wait_for(notice_in(zone, "@room"))
    assert refusal.source["content"]["m.mentions"] == {}
    await boraine.say(zone, "!@room")
    unknown = await boraine.wait_for(notice_in(zone, "I do not know !@room"))
    assert unknown.source["content"]["m.mentions"] == {}
