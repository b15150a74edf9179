"""The attention report counts TLP:RED alerts but never carries their text: not in `prevnet
report` (table or JSON), not in the outbox, not in the chart, not in the #admin message; and
the report goes to #admin only."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

import nio
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from bots.synapse_admin import SynapseAdmin
from phenomena.report import report_text
from phenomena.rooms import ADMIN
from phenomena.storage.database import Database, sqlite_url
from phenomena.storage.outbox import Outbox
from phenomena.storage.report_queries import load_report
from phenomena.storage.schema import AlertRow, OutboxRow
from prevnet.cli import cli
from prevnet.dispatch import Dispatcher
from prevnet.report_chart import report_chart
from prevnet.report_post import queue_monthly_report, report_subscription
from tests.conftest import run_in_own_loop
from tests.matrix import test_delivery
from tests.matrix.test_delivery import Stage, bot_messages
from tests.storage.test_report_queries import END, RED_SUMMARY, START, seed
from tests.support.people import Person
from tests.support.synapse import LocalHomeserver

stage = test_delivery.stage  # the fixture: a registry on the homeserver, a bot that encrypts


@pytest.fixture
def db(room_db: Database) -> Database:
    """One backend here (the stage's database is SQLite): the report's queries run on SQLite
    and PostgreSQL in ``tests/storage``; what this file adds is the homeserver, once."""
    return room_db


RED_MODUS = "Night watch from the grey Opel behind the depot"
RED_ADVICE = "Do not approach the informant's house in Jemappes"
SECRETS = (RED_SUMMARY, RED_MODUS, RED_ADVICE, "Jan Peeters", "Rue Secrète", "Opel", "Jemappes")


async def red_in_full(db: Database, *, organisations: bool = True) -> None:
    """The scenario, its RED alert (number 2) with modus and advice as well."""
    await seed(db, organisations=organisations)
    async with db.sessions() as session, session.begin():
        await session.execute(
            update(AlertRow).where(AlertRow.id == 2).values(modus=RED_MODUS, advice=RED_ADVICE)
        )


def absent(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


@pytest.fixture
def data(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(sqlite_template, folder / "prevnet.sqlite3")

    async def fill() -> None:
        db = Database.connect(sqlite_url(folder / "prevnet.sqlite3"))
        try:
            await red_in_full(db)
        finally:
            await db.close()

    run_in_own_loop(fill())
    monkeypatch.setattr(importlib.import_module("prevnet.cli.report"), "now", lambda: END)
    return folder


def test_the_command_line_report_counts_red_without_its_text(data: Path) -> None:
    table = CliRunner().invoke(cli, ["--data-dir", str(data), "report", "--weeks", "5"])
    assert table.exit_code == 0, table.output
    absent(table.output)
    as_json = CliRunner().invoke(cli, ["--data-dir", str(data), "report", "--weeks", "5", "--json"])
    assert as_json.exit_code == 0, as_json.output
    absent(as_json.output)
    document = json.loads(as_json.output)
    spf = next(o for o in document["organisations"] if o["key"] == "spf")
    assert spf["received"] == 2  # the GREEN alert, and the RED one it is a recipient of


async def test_the_admin_message_and_chart_count_red_without_its_text(
    stage: Stage, admin: SynapseAdmin, homeserver: LocalHomeserver, tmp_path: Path
) -> None:
    await red_in_full(stage.db, organisations=False)  # the stage's registry has the same keys
    report = await load_report(stage.db, stage.territories, START, END)
    absent(report_text(report))
    for label in report_chart(report).labels:
        absent(label.text)

    stage.clock.now = END
    assert await queue_monthly_report(stage.db, stage.clock(), "UTC", 1) is not None
    async with stage.db.sessions() as session:
        payloads = list(await session.scalars(select(OutboxRow.payload)))
    absent(json.dumps(payloads, ensure_ascii=False))

    admin_member = stage.registry.member("admin").matrix_id
    await admin.put_user(admin_member, password="admin-pw")
    person = Person(homeserver.url, admin_member, tmp_path / "admin-keys")
    await person.login("admin-pw")
    try:
        room = await stage.network.room_id(ADMIN)
        assert room is not None
        await stage.bot.client.sync(timeout=0)
        subscription = report_subscription(
            stage.db,
            stage.territories,
            "UTC",
            stage.bot.client,
            stage.bot.post,
            stage.network.room_id,
        )
        outbox = Outbox(stage.db, "instance-1", stage.clock)
        assert await Dispatcher(outbox, [subscription], clock=stage.clock).run_once() == 1
        text = await person.wait_for(
            lambda r, e: (
                r == room
                and isinstance(e, nio.RoomMessageNotice)
                and e.body.startswith("Attention report")
            )
        )
        absent(text.body)
        assert "- SPF Intérieur [spf]: 2 received" in text.body
        await person.wait_for(lambda r, e: r == room and isinstance(e, nio.RoomEncryptedImage))
        # nothing of it went to any other room
        for key in ("zone:5324", "zone:5327", "province:50000", "moderation", "toolbox"):
            other = await stage.network.room_id(key)
            if other is not None:
                assert await bot_messages(admin, other, stage.bot.client.user_id) == []
    finally:
        await person.close()
