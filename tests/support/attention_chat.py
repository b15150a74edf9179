"""A running bot on the real homeserver with the alert, ``!prefs`` and ``!useful`` commands and
the reaction handler wired as ``prevnet up`` wires them, for the preference and usefulness tests.

The small registry of ``tests.matrix.test_membership`` is on the homeserver and in the
database; people play members at encrypted clients. Alerts are published through the use case
and delivered by the real outbox to the real rooms.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
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
from bots.prefs_commands import register_prefs_commands
from bots.reactions import on_reaction
from bots.synapse_admin import SynapseAdmin
from bots.useful_commands import register_useful_commands
from phenomena.alert import Alert, AlertContent
from phenomena.partners import Member
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy
from phenomena.storage.bulletins import BulletinRecord, SqlBulletinLedger
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.notify_prefs import SqlNotifyPreferences
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.storage.usefulness import SqlUsefulness
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Dispatcher, Subscription
from tests.matrix.test_membership import Registry, make_registry
from tests.support.bots import FIRST_SYNC_SECONDS
from tests.support.people import Person
from tests.support.synapse import LocalHomeserver


@dataclass
class Chat:
    """The registry, the bot and its stores, and the people who have logged in so far."""

    registry: Registry
    db: Database
    network: MatrixNetwork
    bot: Bot
    desk: AlertDesk
    notify: SqlNotifyPreferences
    usefulness: SqlUsefulness
    homeserver: LocalHomeserver
    admin: SynapseAdmin
    keys: Path
    people: dict[str, Person] = field(default_factory=dict)
    directs: dict[str, str] = field(default_factory=dict)
    reactions: list[object] = field(default_factory=list)

    async def person(self, name: str) -> Person:
        """``name`` of the registry at an encrypted client (logged in once)."""
        if name not in self.people:
            who = self.registry.member(name)
            await self.admin.put_user(who.matrix_id, password="pw")
            found = Person(self.homeserver.url, who.matrix_id, self.keys / name)
            await found.login("pw")
            self.people[name] = found
        return self.people[name]

    async def room(self, key: str) -> str:
        room_id = await self.network.room_id(key)
        assert room_id is not None, key
        return room_id

    async def publish(self, content: AlertContent, author: str = "officer") -> Alert:
        """Publish ``content`` as ``author`` and deliver its bulletins to the real rooms."""
        alert, _ = await use.create_alert(
            SqlUnitOfWork(self.db.sessions),
            content,
            self.registry.member(author).matrix_id,
            self.desk.territories,
            ModerationPolicy(),
            datetime.now(UTC),
        )
        delivery = AlertDelivery(
            post=self.bot.post,
            room_id_of=self.network.room_id,
            alert_of=self._alert_of,
            source_of=self.desk.source,
            ledger=SqlBulletinLedger(self.db),
            record=BulletinRecord,
            territories=self.desk.territories,
            rooms=self.network,
            uow=lambda: SqlUnitOfWork(self.db.sessions),
            direct_room_of=self.network.direct_room,
        )
        dispatcher = Dispatcher(
            Outbox(self.db, "test"),
            [Subscription("matrix-bulletins", ALERT_EVENTS, delivery.handle)],
            retry_base=0.2,
        )
        deadline = time.monotonic() + 60  # a busy homeserver may refuse a first send: retried
        while True:
            await dispatcher.run_once()
            if (await Outbox(self.db, "test").stats()).pending == 0:
                return alert
            assert time.monotonic() < deadline, "a bulletin could not be delivered in 60 s"
            await asyncio.sleep(0.2)  # the failed delivery's retry comes due

    async def _alert_of(self, alert_id: int) -> Alert | None:
        async with SqlUnitOfWork(self.db.sessions) as uow:
            return await uow.alerts.get(alert_id)

    async def bulletin(self, alert_id: int, room: str) -> BulletinRecord:
        return (await SqlBulletinLedger(self.db).bulletins(alert_id))[room]

    async def direct(self, name: str, within: float = 30.0) -> str:
        """The direct chat the bot opened with ``name`` for a private answer (joined)."""
        if name in self.directs:
            return self.directs[name]
        who = await self.person(name)
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            await who.client.sync(timeout=500)
            for room_id in list(who.client.invited_rooms):
                joined = await who.client.join(room_id)
                assert isinstance(joined, nio.JoinResponse), joined
                await who.client.sync(timeout=0)
                self.directs[name] = str(room_id)
                return str(room_id)
        raise AssertionError(f"the bot opened no direct chat with {name}")

    async def answer(self, name: str, contains: str) -> str:
        """The bot's notice in ``name``'s direct chat that contains ``contains``."""
        room = await self.direct(name)
        who = await self.person(name)
        found = await who.wait_for(
            lambda r, e: r == room and isinstance(e, nio.RoomMessageNotice) and contains in e.body
        )
        return str(getattr(found, "body", ""))

    async def close(self) -> None:
        for who in self.people.values():
            await who.close()


async def until(check: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    """Poll an async predicate until it holds (a bounded wait for what the bot records)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{check} did not hold within {within} s")


@asynccontextmanager
async def attention_chat(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    network: MatrixNetwork,
    db: Database,
    territories: TerritoryRegistry,
    tmp_path: Path,
    extra: dict[str, Member] | None = None,
) -> AsyncIterator[Chat]:
    """The registry (with ``extra`` members) on the homeserver and the bot running."""
    registry = make_registry(homeserver)
    registry.members.update(extra or {})
    await network.reconcile(registry.members.values(), registry.orgs)
    async with SqlUnitOfWork(db.sessions) as uow:
        for org in registry.orgs.values():
            await uow.organisations.add(org)
        for member in registry.members.values():
            await uow.members.add(member)
        await uow.commit()

    async def room_exists(key: str) -> bool:
        return await network.room_id(key) is not None

    usefulness = SqlUsefulness(db)
    desk = AlertDesk(
        uow=lambda once: SqlUnitOfWork(db.sessions, once=once),
        territories=territories,
        policy=ModerationPolicy(),
        clock=lambda: datetime.now(UTC),
        ledger=SqlBulletinLedger(db),
        room_exists=room_exists,
        usefulness=usefulness,
    )
    notify = SqlNotifyPreferences(db)
    commands = CommandRegistry()
    register_alert_commands(commands, desk)
    register_prefs_commands(commands, SqlEmailDeliveries(db), email_enabled=False, notify=notify)
    register_useful_commands(commands, desk, notify)
    seen: list[object] = []

    async def member_of(user_id: str) -> Member | None:
        return next((m for m in registry.members.values() if m.matrix_id == user_id), None)

    async def reaction(
        member: Member | None, event_id: str, reacts_to: str, key: str, room_id: str
    ) -> object:
        outcome = await on_reaction(desk, member, event_id, reacts_to, key, room_id)
        seen.append(outcome)
        return outcome

    session = await admin.login(homeserver.bot.user_id, homeserver.bot_password)
    store = tmp_path / "bot-store"
    store.mkdir()
    client = bot_client(homeserver.url, session, store)
    bot = Bot(
        client,
        commands,
        member_of,
        network.key_of_room,
        reaction,
        direct_room=network.direct_room,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(bot.run(stop))
    chat = Chat(
        registry, db, network, bot, desk, notify, usefulness, homeserver, admin, tmp_path, {}, {}
    )
    chat.reactions = seen
    try:
        await asyncio.wait_for(bot.ready.wait(), FIRST_SYNC_SECONDS)
        yield chat
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
        await client.close()
        await chat.close()


@pytest.fixture(name="chat")
async def chat_fixture(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    network: MatrixNetwork,
    room_db: Database,
    territories: TerritoryRegistry,
    tmp_path: Path,
) -> AsyncIterator[Chat]:
    """``attention_chat`` as the ``chat`` fixture, for test modules that import it."""
    async with attention_chat(homeserver, admin, network, room_db, territories, tmp_path) as found:
        yield found
