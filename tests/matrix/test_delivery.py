"""Bulletins through the real outbox onto a real Synapse: once per room, whatever fails when."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import nio
import pytest
from nio.crypto.attachments import decrypt_attachment

from bots.bot import Bot
from bots.commands import CommandRegistry
from bots.delivery import AlertDelivery
from bots.digest import image_content, post_room_digest
from bots.network import MatrixNetwork
from bots.synapse_admin import SynapseAdmin
from phenomena.alert import AlertContent
from phenomena.detection.scan import ScanSettings
from phenomena.digest import room_digest
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy
from phenomena.storage.bulletins import BulletinRecord, SqlBulletinLedger
from phenomena.storage.database import Database
from phenomena.storage.incidents import SqlIncidentStore
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from prevnet.dispatch import Dispatcher
from prevnet.wiring import bulletin_subscription
from tests.matrix.test_membership import Registry, make_registry
from tests.support.people import Person
from tests.support.synapse import LocalHomeserver

GREEN_IN_MONS = AlertContent(
    PhenomenonType.DOORSTEP_SCAM,
    ("53053", "53084"),
    date(2026, 11, 14),
    date(2026, 11, 20),
    Tlp.GREEN,
    "Fake water-company agents at the door.",
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Stage:
    """A registry on the homeserver and in the database, and a bot that encrypts."""

    db: Database
    network: MatrixNetwork
    bot: Bot
    registry: Registry
    clock: Clock
    ledger: SqlBulletinLedger
    territories: TerritoryRegistry

    def delivery(self, post: Callable[..., Awaitable[str]]) -> AlertDelivery:
        async def alert_of(alert_id: int) -> Any:
            async with SqlUnitOfWork(self.db.sessions) as uow:
                return await uow.alerts.get(alert_id)

        async def source_of(alert: Any) -> str:
            return "ZP Mons"

        return AlertDelivery(
            post=post,
            room_id_of=self.network.room_id,
            alert_of=alert_of,
            source_of=source_of,
            ledger=self.ledger,
            record=BulletinRecord,
            territories=self.territories,
        )

    def dispatcher(self, delivery: AlertDelivery) -> Dispatcher:
        outbox = Outbox(self.db, "test", self.clock)
        return Dispatcher(outbox, [bulletin_subscription(delivery)], clock=self.clock)


@pytest.fixture
def db(room_db: Database) -> Database:
    """One backend here (SQLite): bulletins, reach and digests are stored and read on both
    backends in ``tests/storage``; what this file adds is the homeserver, once."""
    return room_db


@pytest.fixture
async def stage(
    db: Database,
    network: MatrixNetwork,
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    territories: TerritoryRegistry,
    tmp_path: Path,
) -> AsyncIterator[Stage]:
    registry = make_registry(homeserver)
    await network.reconcile(registry.members.values(), registry.orgs)
    clock = Clock()
    async with SqlUnitOfWork(db.sessions, clock) as uow:
        for org in registry.orgs.values():
            await uow.organisations.add(org)
        for member in registry.members.values():
            await uow.members.add(member)
        await uow.commit()
    session = await admin.login(homeserver.bot.user_id, homeserver.bot_password)
    store = tmp_path / "bot-store"
    store.mkdir()
    client = nio.AsyncClient(
        homeserver.url,
        session.user_id,
        device_id=session.device_id,
        store_path=str(store),
        config=nio.AsyncClientConfig(encryption_enabled=True),
    )
    client.restore_login(session.user_id, session.device_id, session.access_token)
    bot = Bot(client, CommandRegistry(), lambda _: _none(), network.key_of_room)
    await bot.start()
    try:
        yield Stage(db, network, bot, registry, clock, SqlBulletinLedger(db, clock), territories)
    finally:
        await client.close()


async def _none() -> None:
    return None


async def bot_messages(admin: SynapseAdmin, room_id: str, bot: str) -> list[dict[str, Any]]:
    page = await admin.request(
        "GET", f"/_synapse/admin/v1/rooms/{room_id}/messages?dir=b&limit=200"
    )
    assert page is not None
    return [e for e in page["chunk"] if e["sender"] == bot and e["type"] == "m.room.encrypted"]


async def publish(stage: Stage, content: AlertContent = GREEN_IN_MONS) -> int:
    officer = stage.registry.member("officer").matrix_id
    alert, _ = await use.create_alert(
        SqlUnitOfWork(stage.db.sessions, stage.clock),
        content,
        officer,
        stage.territories,
        ModerationPolicy(),
        stage.clock(),
    )
    return alert.id


async def test_a_crash_after_sending_sends_nothing_twice(stage: Stage, admin: SynapseAdmin) -> None:
    alert_id = await publish(stage)
    sends = 0

    async def crashing_post(room_id: str, content: dict[str, Any], **kwargs: Any) -> str:
        nonlocal sends
        event_id = await stage.bot.post(room_id, content, **kwargs)
        sends += 1
        if sends == 2:
            raise RuntimeError("killed after the homeserver accepted the event")
        return event_id

    dispatcher = stage.dispatcher(stage.delivery(crashing_post))
    await dispatcher.run_once()
    recorded = await stage.ledger.bulletins(alert_id)
    assert len(recorded) < 3, "the crash should have left the fan-out unfinished"
    stage.clock.now += timedelta(minutes=5)
    await dispatcher.run_once()
    stage.clock.now += timedelta(minutes=5)
    await dispatcher.run_once()  # nothing left: a third pass sends nothing

    recorded = await stage.ledger.bulletins(alert_id)
    assert set(recorded) == {"zone:5324", "zone:5327", "province:50000"}
    for room, record in recorded.items():
        messages = await bot_messages(admin, record.room_id, stage.bot.client.user_id)
        bulletins = [m for m in messages if "m.relates_to" not in m["content"]]
        assert [m["event_id"] for m in bulletins] == [record.event_id], room
    assert (await Outbox(stage.db, "x").stats()).pending == 0


async def test_a_homeserver_down_delays_but_loses_nothing(
    stage: Stage, admin: SynapseAdmin
) -> None:
    alert_id = await publish(stage)
    failures = 3

    async def flaky_post(room_id: str, content: dict[str, Any], **kwargs: Any) -> str:
        nonlocal failures
        if failures > 0:
            failures -= 1
            raise ConnectionError("homeserver unreachable")
        return await stage.bot.post(room_id, content, **kwargs)

    dispatcher = stage.dispatcher(stage.delivery(flaky_post))
    for _ in range(6):
        await dispatcher.run_once()
        stage.clock.now += timedelta(minutes=10)
    recorded = await stage.ledger.bulletins(alert_id)
    assert len(recorded) == 3
    for record in recorded.values():
        messages = await bot_messages(admin, record.room_id, stage.bot.client.user_id)
        assert len([m for m in messages if "m.relates_to" not in m["content"]]) == 1


async def test_expiry_edits_the_bulletins_in_place(stage: Stage, admin: SynapseAdmin) -> None:
    alert_id = await publish(stage)
    dispatcher = stage.dispatcher(stage.delivery(stage.bot.post))
    await dispatcher.run_once()
    expired = await use.expire_due_alerts(
        SqlUnitOfWork(stage.db.sessions, stage.clock),
        date(2026, 11, 28),
        timedelta(days=7),
        stage.clock(),
    )
    assert [a.id for a in expired] == [alert_id]
    await dispatcher.run_once()
    record = (await stage.ledger.bulletins(alert_id))["zone:5324"]
    messages = await bot_messages(admin, record.room_id, stage.bot.client.user_id)
    relations = [m["content"]["m.relates_to"] for m in messages if "m.relates_to" in m["content"]]
    assert {"rel_type": "m.replace", "event_id": record.event_id} in relations
    assert any(
        r.get("rel_type") == "m.thread" and r["event_id"] == record.event_id for r in relations
    )


async def test_a_weekly_digest_with_its_chart(
    stage: Stage, admin: SynapseAdmin, homeserver: LocalHomeserver, tmp_path: Path
) -> None:
    alert_id = await publish(stage)
    await stage.dispatcher(stage.delivery(stage.bot.post)).run_once()
    officer = stage.registry.member("officer").matrix_id
    await admin.put_user(officer, password="officer-pw")
    person = Person(homeserver.url, officer, tmp_path / "officer-keys")
    await person.login("officer-pw")
    try:
        room = await stage.network.room_id("zone:5324")
        assert room is not None
        async with SqlUnitOfWork(stage.db.sessions) as uow:
            alerts = list(await uow.alerts.list())
        digest = room_digest("zone:5324", alerts, stage.clock().date())
        assert [a.id for a in digest.open] == [alert_id]
        await stage.bot.client.sync(timeout=0)
        await post_room_digest(
            stage.bot.client, stage.bot.post, room, digest, ("fr",), stage.territories
        )
        text = await person.wait_for(
            lambda r, e: (
                r == room
                and isinstance(e, nio.RoomMessageNotice)
                and "Résumé hebdomadaire" in e.body
            )
        )
        assert f"A-{alert_id} TLP:GREEN Arnaque à domicile" in text.body
        assert text.source["content"]["m.mentions"] == {}  # quoted summaries ring nobody
        image = await person.wait_for(
            lambda r, e: r == room and isinstance(e, nio.RoomEncryptedImage)
        )
        download = await person.client.download(mxc=image.url)
        assert isinstance(download, nio.DownloadResponse), download
        png = decrypt_attachment(download.body, image.key["k"], image.hashes["sha256"], image.iv)
        assert png.startswith(b"\x89PNG")
        # the same week again posts nothing new (transaction ids are per room and week)
        before = len(await bot_messages(admin, room, stage.bot.client.user_id))
        await post_room_digest(
            stage.bot.client, stage.bot.post, room, digest, ("fr",), stage.territories
        )
        assert len(await bot_messages(admin, room, stage.bot.client.user_id)) == before
    finally:
        await person.close()


async def test_a_detected_wave_reaches_the_moderators_with_its_pictures(
    stage: Stage, admin: SynapseAdmin
) -> None:
    from prevnet.detection import detection_attachments, run_daily_detection
    from prevnet.reference import load_outlines
    from prevnet.settings import Settings
    from tests.support.belgian_incidents import DAY, incidents_around_mons

    store = SqlIncidentStore(stage.db)
    incidents = incidents_around_mons(wave=12)
    await store.add([(i, i.fingerprint("t", n)) for n, i in enumerate(incidents)], "t")
    now = datetime(DAY.year, DAY.month, DAY.day, 6, tzinfo=UTC)
    (alert,) = await run_daily_detection(
        store,
        SqlUnitOfWork(stage.db.sessions, stage.clock),
        stage.territories,
        now,
        ScanSettings(replicates=99),
    )
    outlines = load_outlines(Settings())

    async def attachments(a: Any) -> list[tuple[str, bytes]]:
        return await detection_attachments(a, SqlUnitOfWork(stage.db.sessions), store, outlines)

    async def post_image(room_id: str, png: bytes, name: str, thread: str, tx: str) -> str:
        content = await image_content(stage.bot.client, room_id, png, name, thread_root=thread)
        return await stage.bot.post(room_id, content, tx_id=tx)

    delivery = stage.delivery(stage.bot.post)
    delivery._attachments = attachments
    delivery._post_image = post_image
    await stage.dispatcher(delivery).run_once()
    notice = await stage.ledger.moderation_notice(alert.id)
    assert notice is not None
    room_id, notice_event = notice
    messages = await bot_messages(admin, room_id, stage.bot.client.user_id)
    threaded = [
        m for m in messages if m["content"].get("m.relates_to", {}).get("event_id") == notice_event
    ]
    assert len(threaded) == 2


async def test_a_moderator_edit_rewrites_the_moderation_notice_in_place(
    stage: Stage, admin: SynapseAdmin, homeserver: LocalHomeserver, tmp_path: Path
) -> None:
    prevention = stage.registry.member("prevention").matrix_id  # not police: moderated
    alert, _ = await use.create_alert(
        SqlUnitOfWork(stage.db.sessions, stage.clock),
        GREEN_IN_MONS,
        prevention,
        stage.territories,
        ModerationPolicy(),
        stage.clock(),
    )
    dispatcher = stage.dispatcher(stage.delivery(stage.bot.post))
    await dispatcher.run_once()
    notice = await stage.ledger.moderation_notice(alert.id)
    assert notice is not None
    room_id, notice_event = notice
    analyst = stage.registry.member("analyst").matrix_id
    await admin.put_user(analyst, password="analyst-pw")
    moderator = Person(homeserver.url, analyst, tmp_path / "analyst-keys")
    await moderator.login("analyst-pw")
    try:
        stage.clock.now += timedelta(minutes=5)
        revised = replace(GREEN_IN_MONS, summary="Fake water-company agents, now also in Nimy.")
        await use.update_alert(
            SqlUnitOfWork(stage.db.sessions, stage.clock),
            alert.id,
            revised,
            analyst,
            stage.territories,
            stage.clock(),
        )
        await stage.bot.client.sync(timeout=0)
        await dispatcher.run_once()
        await dispatcher.run_once()  # a repeat changes nothing
        messages = await bot_messages(admin, room_id, stage.bot.client.user_id)
        relations = [m["content"].get("m.relates_to", {}) for m in messages]
        edits = [r for r in relations if r.get("rel_type") == "m.replace"]
        notes = [r for r in relations if r.get("rel_type") == "m.thread"]
        assert [e["event_id"] for e in edits] == [notice_event]
        assert [n["event_id"] for n in notes] == [notice_event]
        # what the moderator's client shows: the new text in place, and who changed it
        edit = await moderator.wait_for(
            lambda r, e: (
                r == room_id
                and isinstance(e, nio.RoomMessageNotice)
                and "now also in Nimy" in e.body
            )
        )
        assert edit.source["content"]["m.relates_to"]["event_id"] == notice_event
        await moderator.wait_for(
            lambda r, e: (
                r == room_id
                and isinstance(e, nio.RoomMessageNotice)
                and f"Edited by {analyst}: summary." in e.body
            )
        )
    finally:
        await moderator.close()
