"""Priority on a real Synapse, as a member's encrypted client receives it: an urgent bulletin
mentions the room (``m.mentions.room`` and "@room", so push rules ring phones), a normal one
mentions nobody, an info alert posts nothing in the room, and an alert made urgent later rings
through the note in its thread (homeservers never notify for edits)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import nio
import pytest

from bots.synapse_admin import SynapseAdmin
from phenomena.priority import Priority
from phenomena.services import alerts as use
from phenomena.storage.database import Database
from phenomena.storage.unit_of_work import SqlUnitOfWork
from tests.matrix.test_delivery import GREEN_IN_MONS, Stage, bot_messages, publish, stage
from tests.support.people import Person
from tests.support.synapse import LocalHomeserver

__all__ = ["stage"]


@pytest.fixture
def db(room_db: Database) -> Database:
    """One backend here (SQLite): priorities are stored and read on both backends in
    ``tests/storage/test_bulletin_volume.py``; what this file adds is the homeserver, once."""
    return room_db


def content_of(event: nio.Event) -> dict[str, Any]:
    """The decrypted content as the member's client has it."""
    found = event.source.get("content", {})
    assert isinstance(found, dict)
    return found


async def test_urgent_rings_the_room_normal_nobody_and_info_posts_nothing(
    stage: Stage, admin: SynapseAdmin, homeserver: LocalHomeserver, tmp_path: Path
) -> None:
    officer = stage.registry.member("officer").matrix_id
    await admin.put_user(officer, password="officer-pw")
    person = Person(homeserver.url, officer, tmp_path / "officer-keys")
    await person.login("officer-pw")
    try:
        room = await stage.network.room_id("zone:5324")
        assert room is not None
        urgent = await publish(
            stage, replace(GREEN_IN_MONS, priority=Priority.URGENT, summary="Arson under way.")
        )
        normal = await publish(stage, replace(GREEN_IN_MONS, summary="Fake meter readers."))
        info = await publish(
            stage, replace(GREEN_IN_MONS, priority=Priority.INFO, summary="Leaflets handed out.")
        )
        await stage.bot.client.sync(timeout=0)  # the bot knows the officer's new device
        await stage.dispatcher(stage.delivery(stage.bot.post)).run_once()

        def bulletin_of(alert_id: int) -> Any:
            return lambda r, e: (
                r == room and isinstance(e, nio.RoomMessageNotice) and f"A-{alert_id}" in e.body
            )

        rung = content_of(await person.wait_for(bulletin_of(urgent)))
        assert rung["m.mentions"] == {"room": True}
        assert rung["body"].startswith("@room ") and "Arson under way." in rung["body"]
        assert "@room" in rung["formatted_body"]
        quiet = content_of(await person.wait_for(bulletin_of(normal)))
        assert quiet["m.mentions"] == {}
        assert "@room" not in quiet["body"] and "Fake meter readers." in quiet["body"]

        # the dispatcher's round is over: what the room holds is all it will get
        assert await stage.ledger.bulletins(info) == {}
        recorded = await stage.ledger.bulletins(normal)
        messages = await bot_messages(admin, room, stage.bot.client.user_id)
        bulletins = [m for m in messages if "m.relates_to" not in m["content"]]
        assert len(bulletins) == 2, "one bulletin each for the urgent and the normal alert"
        assert recorded["zone:5324"].event_id in {m["event_id"] for m in bulletins}
        assert not any("Leaflets handed out." in getattr(e, "body", "") for _, e in person.received)
    finally:
        await person.close()


async def test_an_alert_made_urgent_rings_in_its_thread_not_by_its_edit(
    stage: Stage, admin: SynapseAdmin, homeserver: LocalHomeserver, tmp_path: Path
) -> None:
    officer = stage.registry.member("officer").matrix_id
    await admin.put_user(officer, password="officer-pw")
    person = Person(homeserver.url, officer, tmp_path / "officer-keys")
    await person.login("officer-pw")
    try:
        room = await stage.network.room_id("zone:5324")
        alert_id = await publish(stage, replace(GREEN_IN_MONS, summary="Smoke seen."))
        await stage.bot.client.sync(timeout=0)
        dispatcher = stage.dispatcher(stage.delivery(stage.bot.post))
        await dispatcher.run_once()
        root = (await stage.ledger.bulletins(alert_id))["zone:5324"].event_id
        await use.update_alert(
            SqlUnitOfWork(stage.db.sessions, stage.clock),
            alert_id,
            replace(GREEN_IN_MONS, summary="Smoke seen.", priority=Priority.URGENT),
            officer,
            stage.territories,
            stage.clock(),
        )
        stage.clock.now += timedelta(minutes=1)
        await dispatcher.run_once()

        def related(rel_type: str) -> Any:
            def match(r: str, e: nio.Event) -> bool:
                relates = content_of(e).get("m.relates_to", {})
                return (
                    r == room
                    and isinstance(e, nio.RoomMessageNotice)
                    and relates.get("rel_type") == rel_type
                    and relates.get("event_id") == root
                )

            return match

        edit = content_of(await person.wait_for(related("m.replace")))
        assert edit["m.mentions"] == {}  # an edit never notifies: it does not pretend to
        assert edit["m.new_content"]["m.mentions"] == {"room": True}
        assert edit["m.new_content"]["body"].startswith("@room ")
        note = content_of(await person.wait_for(related("m.thread")))
        assert note["m.mentions"] == {"room": True} and note["body"].startswith("@room ")
    finally:
        await person.close()
