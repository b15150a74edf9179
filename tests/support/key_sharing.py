"""A bot that re-shares its room keys with late joiners, on the test homeserver, and the people
who come late: the stage of ``tests/matrix/test_late_joiners.py`` and its security twin.

The bot is the one ``prevnet up`` runs (its client, key store and sync loop), with bulletins
posted by the real alert delivery through the outbox, and a registry small enough to reconcile
in seconds: the Mons zone (police, a commune) and the Boraine zone.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import nio
import vodozemac
from nio.api import Api

from bots.bot import Bot, bot_client
from bots.commands import CommandRegistry
from bots.delivery import AlertDelivery
from bots.late_joiners import LateJoiners
from bots.network import MatrixNetwork
from bots.synapse_admin import Session, SynapseAdmin
from phenomena.alert import AlertContent
from phenomena.partners import (
    Member,
    Organisation,
    OrganisationKind,
    Role,
    TerritoryKind,
    TerritoryRef,
)
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy
from phenomena.storage.bulletins import BulletinRecord, SqlBulletinLedger
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from prevnet.dispatch import Dispatcher
from prevnet.late_joiner_wiring import late_joiners, open_bulletins
from prevnet.wiring import bulletin_subscription, member_lookup
from tests.support.people import Person
from tests.support.synapse import LocalHomeserver

PASSWORD = "late-pw"


def in_mons(summary: str, tlp: Tlp = Tlp.GREEN) -> AlertContent:
    """An alert about Mons: its bulletin goes to the Mons and Boraine zone rooms (GREEN), or to
    a room of its own with the Mons police (RED)."""
    return AlertContent(
        PhenomenonType.DOORSTEP_SCAM,
        ("53053", "53084"),
        date(2026, 11, 14),
        None,
        tlp,
        summary,
    )


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def registry(homeserver: LocalHomeserver) -> tuple[dict[str, Organisation], dict[str, Member]]:
    tag = homeserver.unique("")

    def zone(key: str) -> tuple[TerritoryRef, ...]:
        return (TerritoryRef(TerritoryKind.ZONE, key),)

    orgs = {
        "zp-mons": Organisation("zp-mons", "ZP Mons", OrganisationKind.POLICE_ZONE, zone("5324")),
        "zp-boraine": Organisation(
            "zp-boraine", "ZP Boraine", OrganisationKind.POLICE_ZONE, zone("5327")
        ),
        "pcs-mons": Organisation(
            "pcs-mons",
            "PSSP Mons",
            OrganisationKind.COMMUNE,
            (TerritoryRef(TerritoryKind.MUNICIPALITY, "53053"),),
        ),
    }

    def m(name: str, org: str, *roles: Role) -> Member:
        return Member(
            homeserver.user_id(f"{name}-{tag}"), name.title(), org, frozenset({Role.MEMBER, *roles})
        )

    members = {
        "officer": m("officer", "zp-mons", Role.AUTHOR),
        "analyst": m("analyst", "zp-mons"),
        "late": m("late", "zp-mons"),
        "boraine": m("boraine", "zp-boraine"),
        "prevention": m("prevention", "pcs-mons"),
    }
    return orgs, members


class KeyWatcher(Person):
    """A person at a matrix-nio client who also notes every room key their device is sent."""

    def __init__(self, url: str, user_id: str, store: Path) -> None:
        super().__init__(url, user_id, store)
        self.room_keys: list[tuple[str, str]] = []  # (room ID, session ID)
        self.client.add_to_device_callback(self._key, (nio.RoomKeyEvent,))

    async def _key(self, event: nio.RoomKeyEvent) -> None:
        self.room_keys.append((event.room_id, event.session_id))

    async def wait_for_key(self, session_id: str, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while not any(s == session_id for _, s in self.room_keys):
            if time.monotonic() > deadline:
                raise AssertionError(f"no key for {session_id}; got {self.room_keys}")
            await self.client.sync(timeout=1000)

    async def read(self, room_id: str, event_id: str, within: float = 30.0) -> str:
        """The text of an encrypted event from before this device existed, once decryptable."""
        deadline = time.monotonic() + within
        while True:
            response = await self.client.room_get_event(room_id, event_id)
            assert isinstance(response, nio.RoomGetEventResponse), response
            event = response.event
            if isinstance(event, nio.MegolmEvent):
                event.room_id = room_id
                with contextlib.suppress(nio.EncryptionError):
                    event = self.client.decrypt_event(event)
            if isinstance(event, nio.RoomMessageNotice | nio.RoomMessageText):
                return str(event.body)
            if time.monotonic() > deadline:
                raise AssertionError(f"{event_id} never decrypted; keys: {self.room_keys}")
            await self.client.sync(timeout=1000)


@dataclass
class BotRun:
    """One run of the bot: its client, sync loop, key re-sharing and outbox dispatcher."""

    client: nio.AsyncClient
    bot: Bot
    sharing: LateJoiners
    dispatcher: Dispatcher
    stop: asyncio.Event
    tasks: list[asyncio.Task[None]]


@dataclass
class KeyStage:
    """The registry on the homeserver, the bot syncing with its key re-sharing, delivery."""

    homeserver: LocalHomeserver
    admin: SynapseAdmin
    network: MatrixNetwork
    db: Database
    territories: TerritoryRegistry
    orgs: dict[str, Organisation]
    members: dict[str, Member]
    ledger: SqlBulletinLedger
    clock: Clock
    keys: Path
    session: Session
    store: Path
    running: BotRun | None = None
    people: list[Person] = field(default_factory=list)

    @property
    def bot(self) -> Bot:
        assert self.running is not None
        return self.running.bot

    @property
    def sharing(self) -> LateJoiners:
        assert self.running is not None
        return self.running.sharing

    async def start_bot(self) -> None:
        """The bot on its device and key store, syncing, with delivery and key re-sharing."""
        client = bot_client(self.homeserver.url, self.session, self.store)
        sharing = late_joiners(
            client, self.store, member_lookup(self.uow), open_bulletins(self.uow, self.ledger)
        )
        bot = Bot(client, CommandRegistry(), member_lookup(self.uow), self.network.key_of_room)

        async def alert_of(alert_id: int) -> Any:
            async with self.uow() as unit:
                return await unit.alerts.get(alert_id)

        async def source_of(alert: Any) -> str:
            return "ZP Mons"

        delivery = AlertDelivery(
            post=sharing.recording(bot.post),
            room_id_of=self.network.room_id,
            alert_of=alert_of,
            source_of=source_of,
            ledger=self.ledger,
            record=BulletinRecord,
            territories=self.territories,
            rooms=self.network,
            uow=self.uow,
        )
        outbox = Outbox(self.db, "test", self.clock)
        dispatcher = Dispatcher(outbox, [bulletin_subscription(delivery)], clock=self.clock)
        stop = asyncio.Event()
        run = BotRun(client, bot, sharing, dispatcher, stop, [asyncio.create_task(bot.run(stop))])
        self.running = run
        await asyncio.wait_for(bot.ready.wait(), 240)
        run.tasks.append(asyncio.create_task(sharing.run(stop)))

    async def stop_bot(self) -> None:
        run, self.running = self.running, None
        if run is None:
            return
        run.stop.set()
        for task in run.tasks:
            await asyncio.wait_for(task, 30)
        await run.client.close()
        run.sharing.history.close()

    async def restart_bot(self) -> None:
        """Stop the bot and start it again on the same device and key store."""
        await self.stop_bot()
        await self.start_bot()

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.db.sessions, self.clock)

    def user(self, name: str) -> str:
        return self.members[name].matrix_id

    async def publish(self, content: AlertContent) -> int:
        """Publish an alert by the Mons officer and deliver its bulletins."""
        alert, _ = await use.create_alert(
            self.uow(),
            content,
            self.user("officer"),
            self.territories,
            ModerationPolicy(),
            self.clock(),
        )
        assert self.running is not None
        await self.running.dispatcher.run_once()
        return alert.id

    async def close(self, alert_id: int) -> None:
        await use.close_alert(self.uow(), alert_id, self.user("officer"), "done", self.clock())
        assert self.running is not None
        await self.running.dispatcher.run_once()

    async def bulletin(self, alert_id: int, room: str) -> BulletinRecord:
        return (await self.ledger.bulletins(alert_id))[room]

    async def session_of(self, record: BulletinRecord) -> str:
        """The Megolm session that encrypted a bulletin, as the homeserver stores it."""
        event = await self.admin.request(
            "GET", f"/_matrix/client/v3/rooms/{record.room_id}/event/{record.event_id}"
        )
        assert event is not None and event["type"] == "m.room.encrypted", event
        return str(event["content"]["session_id"])

    async def device(self, name: str, label: str) -> KeyWatcher:
        """A new device of a member: their account gets a password, and they log in."""
        user_id = self.user(name)
        await self.admin.put_user(user_id, password=PASSWORD, logout_devices=False)
        person = KeyWatcher(self.homeserver.url, user_id, self.keys / f"{name}-{label}")
        await person.login(PASSWORD)
        self.people.append(person)
        return person

    async def unreachable_device(self, name: str, *, bad_one_time_key: bool = False) -> str:
        """A device of a member with signed device keys and no one-time key to claim (a poison
        device: no Olm session can be started with it); returns its ID. With
        ``bad_one_time_key`` it has one, signed, whose key is no Curve25519 key (an adversarial
        member's upload: matrix-nio raised on it while claiming)."""
        user_id = self.user(name)
        await self.admin.put_user(user_id, password=PASSWORD, logout_devices=False)
        session = await self.admin.login(user_id, PASSWORD)
        account, device = vodozemac.Account(), session.device_id
        keys: dict[str, Any] = {
            "user_id": user_id,
            "device_id": device,
            "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
            "keys": {
                f"curve25519:{device}": account.curve25519_key.to_base64(),
                f"ed25519:{device}": account.ed25519_key.to_base64(),
            },
        }
        signature = account.sign(Api.to_canonical_json(keys).encode())
        keys["signatures"] = {user_id: {f"ed25519:{device}": signature.to_base64()}}
        upload: dict[str, Any] = {"device_keys": keys}
        if bad_one_time_key:  # several: each claim takes one
            upload["one_time_keys"] = {}
            for n in range(8):
                one_time: dict[str, Any] = {"key": "AAAA"}
                signed = account.sign(Api.to_canonical_json(one_time).encode()).to_base64()
                one_time["signatures"] = {user_id: {f"ed25519:{device}": signed}}
                upload["one_time_keys"][f"signed_curve25519:AAAAA{n}"] = one_time
        await self.admin.request(
            "POST", "/_matrix/client/v3/keys/upload", upload, token=session.access_token
        )
        return device

    async def bot_knows_device(self, user_id: str, device_id: str) -> None:
        """Until the bot has this device in its device store (it then encrypts for it)."""
        deadline = time.monotonic() + 30
        while device_id not in self.bot.client.device_store[user_id]:
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot never learnt of {user_id}'s device {device_id}")
            await asyncio.sleep(0.1)

    async def bot_knows(self, person: Person) -> None:
        """Until the bot has this person's device in its device store (it then encrypts for it)."""
        user, device = person.client.user_id, person.client.device_id
        deadline = time.monotonic() + 30
        while device not in self.bot.client.device_store[user]:
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot never learnt of {user}'s device {device}")
            await asyncio.sleep(0.1)

    async def settled(self, within: float = 30.0) -> None:
        """Until the bot has nothing queued and no pass under way."""
        deadline = time.monotonic() + within
        while not self.sharing.idle:
            if time.monotonic() > deadline:
                raise AssertionError("the key re-sharing never settled")
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def key_stage(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    network: MatrixNetwork,
    db: Database,
    territories: TerritoryRegistry,
    tmp_path: Path,
    *,
    absent: tuple[str, ...] = (),
) -> AsyncIterator[KeyStage]:
    """The stage, with the members named in ``absent`` registered but not yet in their rooms."""
    orgs, members = registry(homeserver)
    clock = Clock()
    async with SqlUnitOfWork(db.sessions, clock) as uow:
        for org in orgs.values():
            await uow.organisations.add(org)
        for member in members.values():
            await uow.members.add(member)
        await uow.commit()
    await network.reconcile([m for k, m in members.items() if k not in absent], orgs)
    session = await admin.login(homeserver.bot.user_id, homeserver.bot_password)
    store = tmp_path / "bot-store"
    store.mkdir()
    stage = KeyStage(
        homeserver,
        admin,
        network,
        db,
        territories,
        orgs,
        members,
        SqlBulletinLedger(db, clock),
        clock,
        tmp_path / "people",
        session,
        store,
    )
    try:
        await stage.start_bot()
        yield stage
    finally:
        await stage.stop_bot()
        for person in stage.people:
            await person.close()
