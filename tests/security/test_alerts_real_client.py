"""Drafts and RED bulletins as members' real clients see them (end-to-end encrypted).

On the real homeserver, with the bot syncing and people at matrix-nio clients with their own
keys: a draft typed in a zone room reaches its author's direct chat and the room reads only a
pointer (finding 6); a RED alert's bulletin reaches its own room, made with exactly its
recipients, and a colleague of the zone room who is not a recipient never gets it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nio
import pytest

from bots.alert_commands import register_alert_commands
from bots.alert_desk import AlertDesk
from bots.bot import Bot, bot_client
from bots.commands import CommandRegistry
from bots.delivery import ALERT_EVENTS, AlertDelivery
from bots.network import MatrixNetwork
from bots.synapse_admin import SynapseAdmin
from phenomena.alert import Alert
from phenomena.partners import Member
from phenomena.services.alerts import ModerationPolicy
from phenomena.storage.bulletins import BulletinRecord, SqlBulletinLedger
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Dispatcher, Subscription
from tests.matrix.test_membership import Registry, make_registry
from tests.support.bots import FIRST_SYNC_SECONDS
from tests.support.people import Person
from tests.support.synapse import LocalHomeserver

SECRET = "Informant: the gang hits Nimy on Friday night"
RED = f"""!alert new
type: residential-burglary
area: Mons
from: 2026-11-14
tlp: red
summary: {SECRET}."""


@dataclass
class Scene:
    registry: Registry
    db: Database
    network: MatrixNetwork
    bot: Bot
    desk: AlertDesk
    officer: Person
    colleague: Person  # in the zone room, not a recipient of a RED alert (a commune's service)

    def dispatcher(self) -> Dispatcher:
        async def alert_of(alert_id: int) -> Alert | None:
            async with SqlUnitOfWork(self.db.sessions) as uow:
                return await uow.alerts.get(alert_id)

        delivery = AlertDelivery(
            post=self.bot.post,
            room_id_of=self.network.room_id,
            alert_of=alert_of,
            source_of=self.desk.source,
            ledger=SqlBulletinLedger(self.db),
            record=BulletinRecord,
            territories=self.desk.territories,
            rooms=self.network,
            uow=lambda: SqlUnitOfWork(self.db.sessions),
            direct_room_of=self.network.direct_room,
        )
        return Dispatcher(
            Outbox(self.db, "test"),
            [Subscription("matrix-bulletins", ALERT_EVENTS, delivery.handle)],
            retry_base=0.2,
        )


async def person(
    admin: SynapseAdmin, homeserver: LocalHomeserver, who: Member, keys: Path
) -> Person:
    await admin.put_user(who.matrix_id, password="pw")
    found = Person(homeserver.url, who.matrix_id, keys)
    await found.login("pw")
    return found


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

    async def room_exists(key: str) -> bool:
        return await network.room_id(key) is not None

    desk = AlertDesk(
        uow=lambda once: SqlUnitOfWork(room_db.sessions, once=once),
        territories=territories,
        policy=ModerationPolicy(),
        clock=lambda: datetime.now(UTC),
        ledger=SqlBulletinLedger(room_db),
        room_exists=room_exists,
    )
    commands = CommandRegistry()
    register_alert_commands(commands, desk)

    async def member_of(user_id: str) -> Member | None:
        return next((m for m in registry.members.values() if m.matrix_id == user_id), None)

    session = await admin.login(homeserver.bot.user_id, homeserver.bot_password)
    store = tmp_path / "bot-store"
    store.mkdir()
    client = bot_client(homeserver.url, session, store)
    bot = Bot(client, commands, member_of, network.key_of_room, direct_room=network.direct_room)
    stop = asyncio.Event()
    running = asyncio.create_task(bot.run(stop))
    officer = await person(admin, homeserver, registry.member("officer"), tmp_path / "officer")
    colleague = await person(
        admin, homeserver, registry.member("prevention"), tmp_path / "prevention"
    )
    try:
        await asyncio.wait_for(bot.ready.wait(), FIRST_SYNC_SECONDS)
        yield Scene(registry, room_db, network, bot, desk, officer, colleague)
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
        await client.close()
        await officer.close()
        await colleague.close()


async def accept_invitation(who: Person, within: float = 20.0) -> str:
    """Join the first room ``who`` is invited to (the bot opening a direct chat)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        await who.client.sync(timeout=500)
        for room_id in list(who.client.invited_rooms):
            joined = await who.client.join(room_id)
            assert isinstance(joined, nio.JoinResponse), joined
            await who.client.sync(timeout=0)
            return str(room_id)
    raise AssertionError("no invitation came")


def bodies(who: Person, room_id: str | None = None) -> list[str]:
    """What the bot posted that ``who`` received (in ``room_id``, or anywhere)."""
    return [
        e.body
        for r, e in who.received
        if isinstance(e, nio.RoomMessageNotice) and (room_id is None or r == room_id)
    ]


async def test_a_draft_typed_in_a_zone_room_reaches_its_authors_direct_chat_only(
    scene: Scene, admin: SynapseAdmin
) -> None:
    zone = await scene.network.room_id("zone:5324")
    assert zone is not None
    await scene.officer.say(zone, RED)
    pointer = await scene.officer.wait_for(
        lambda r, e: r == zone and isinstance(e, nio.RoomMessageNotice) and "direct chat" in e.body
    )
    assert "this room saw the text you typed" in pointer.body
    direct = await accept_invitation(scene.officer)
    draft = await scene.officer.wait_for(
        lambda r, e: r == direct and isinstance(e, nio.RoomMessageNotice) and "Draft A-" in e.body
    )
    assert "It will go to 1 room(s)" in draft.body and "a room of its own" in draft.body
    assert set(await admin.room_members(direct)) == {
        scene.officer.client.user_id,
        scene.bot.client.user_id,
    }
    # the colleague in the zone room read the pointer, never the draft
    await scene.colleague.wait_for(
        lambda r, e: r == zone and isinstance(e, nio.RoomMessageNotice) and "direct chat" in e.body
    )
    seen = bodies(scene.colleague)
    assert not [b for b in seen if "check it before it goes out" in b or "It will go to" in b]
    assert not [b for b in seen if SECRET in b and "Draft" in b]
    assert not [e for _, e in scene.colleague.received if isinstance(e, nio.MegolmEvent)]

    # published from the direct chat: the bulletin goes to a room of its own
    ref = draft.body.split()[1].rstrip(":")
    await scene.officer.say(direct, f"!alert publish {ref}")
    key = f"alert:{ref.split('-')[1]}"
    dispatcher = scene.dispatcher()
    room = None
    for _ in range(100):
        await dispatcher.run_once()
        room = await scene.network.room_id(key)
        if room is not None and await SqlBulletinLedger(scene.db).bulletins(int(key[6:])):
            break
        await asyncio.sleep(0.2)
    assert room is not None
    bulletin = await scene.officer.wait_for(
        lambda r, e: r == room and isinstance(e, nio.RoomMessageNotice) and SECRET in e.body,
        within=30,
    )
    assert "TLP:RED" in bulletin.body
    members = await admin.room_members(room)
    zp_mons = {m.matrix_id for m in scene.registry.members.values() if m.organisation == "zp-mons"}
    assert {u for u, state in members.items() if state == "join"} == zp_mons | {
        scene.bot.client.user_id
    }
    # the colleague of the zone room: not in it, and nothing of it reached their client
    await scene.colleague.client.sync(timeout=1000)
    assert scene.colleague.client.user_id not in members
    assert not [b for b in bodies(scene.colleague) if SECRET in b]
    assert not [b for b in bodies(scene.officer, zone) if SECRET in b and "TLP:RED" in b]
