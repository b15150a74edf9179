"""The monthly attention report reaches #admin on a real Synapse: its text and its chart, both
encrypted and readable by an admin, once per month however often the job runs."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import nio
import pytest
from nio.crypto.attachments import decrypt_attachment
from PIL import Image

from bots.synapse_admin import SynapseAdmin
from phenomena.rooms import ADMIN
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from prevnet.dispatch import Dispatcher, Subscription
from prevnet.report_post import monthly_report_job, queue_monthly_report, report_subscription
from tests.matrix import test_delivery
from tests.matrix.test_delivery import Stage, bot_messages
from tests.storage.test_report_queries import RED_SUMMARY, seed
from tests.support.people import Person
from tests.support.synapse import LocalHomeserver

BRUSSELS = "Europe/Brussels"
stage = test_delivery.stage  # the fixture: a registry on the homeserver, a bot that encrypts


@pytest.fixture
def db(room_db: Database) -> Database:
    """One backend here (the stage's database is SQLite): the report's queries run on SQLite
    and PostgreSQL in ``tests/storage``; what this file adds is the homeserver, once."""
    return room_db


REPORT_MORNING = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)  # 07:30 in Brussels, 1 December


def subscription(stage: Stage) -> Subscription:
    return report_subscription(
        stage.db,
        stage.territories,
        BRUSSELS,
        stage.bot.client,
        stage.bot.post,
        stage.network.room_id,
    )


def dispatcher(stage: Stage, worker: str) -> Dispatcher:
    outbox = Outbox(stage.db, worker, stage.clock)
    return Dispatcher(outbox, [subscription(stage)], clock=stage.clock)


async def test_the_monthly_report_arrives_in_admin_once(
    stage: Stage, admin: SynapseAdmin, homeserver: LocalHomeserver, tmp_path: Path
) -> None:
    await seed(stage.db, organisations=False)
    stage.clock.now = REPORT_MORNING
    admin_member = stage.registry.member("admin").matrix_id
    await admin.put_user(admin_member, password="admin-pw")
    person = Person(homeserver.url, admin_member, tmp_path / "admin-keys")
    await person.login("admin-pw")
    try:
        room = await stage.network.room_id(ADMIN)
        assert room is not None
        await stage.bot.client.sync(timeout=0)
        woken: list[bool] = []
        job = monthly_report_job(stage.db, BRUSSELS, 1, stage.clock, lambda: woken.append(True))
        await job()
        assert woken == [True]
        first = dispatcher(stage, "instance-1")
        assert await first.run_once() == 1

        text = await person.wait_for(
            lambda r, e: (
                r == room
                and isinstance(e, nio.RoomMessageNotice)
                and e.body.startswith("Attention report")
            )
        )
        lines = text.body.splitlines()
        assert lines[0] == (
            "Attention report 01/11/2026 to 30/11/2026: 3 alert(s) sent, to 4 organisation(s); "
            "1 received none."
        )
        assert (
            "- ZP Mons/Quévy [zp-mons]: 2 received; seen 2 / 0 / 0 / never 0; 1 escalation(s); "
            "67% useful (3 vote(s))"
        ) in lines
        assert (
            "- ZP Boraine [zp-boraine]: 2 received; seen 0 / 0 / 0 / never 2; 0 escalation(s); "
            "no votes"
        ) in lines
        assert RED_SUMMARY not in text.body
        assert text.source["content"]["m.mentions"] == {}  # names are quoted, nobody is rung

        image = await person.wait_for(
            lambda r, e: r == room and isinstance(e, nio.RoomEncryptedImage)
        )
        assert image.body == "Attention report chart, 2026-11-01"
        download = await person.client.download(mxc=image.url)
        assert isinstance(download, nio.DownloadResponse), download
        assert not download.body.startswith(b"\x89PNG")  # the homeserver holds ciphertext
        png = decrypt_attachment(download.body, image.key["k"], image.hashes["sha256"], image.iv)
        picture = Image.open(io.BytesIO(png))
        assert picture.format == "PNG" and picture.width == 960

        # the job again (a restart, the next morning, a second instance): nothing more
        posted = len(await bot_messages(admin, room, stage.bot.client.user_id))
        assert posted == 2
        await job()
        assert woken == [True]
        assert await queue_monthly_report(stage.db, stage.clock(), BRUSSELS, 1) is None
        assert await dispatcher(stage, "instance-2").run_once() == 0
        assert await first.run_once() == 0
        assert len(await bot_messages(admin, room, stage.bot.client.user_id)) == posted
    finally:
        await person.close()


async def test_a_report_delivered_again_posts_nothing_twice(
    stage: Stage, admin: SynapseAdmin
) -> None:
    """A crash after posting, before the outbox heard of it: the retry reuses the transaction
    IDs, so #admin still holds one text and one chart."""
    stage.clock.now = REPORT_MORNING
    due = await queue_monthly_report(stage.db, stage.clock(), BRUSSELS, 1)
    assert due is not None
    room = await stage.network.room_id(ADMIN)
    assert room is not None
    await stage.bot.client.sync(timeout=0)
    handle = subscription(stage).handle
    await handle(due)
    await handle(due)
    assert len(await bot_messages(admin, room, stage.bot.client.user_id)) == 2
