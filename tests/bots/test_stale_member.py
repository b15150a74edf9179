"""A member suspended after the bot read them (for the permission check) cannot act: the use
case reads the member again in its own transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bots.commands import Context
from phenomena.alert import AlertStatus, parse_ref
from phenomena.services.partners import suspend_member
from phenomena.storage.database import Database
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from tests.support.alert_desk import Desk, direct, ref_in

DRAFT = """!alert new
type: vandalism
area: Mons
from: 2026-11-14
tlp: amber
summary: Bus shelters smashed at night."""


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


async def test_a_member_suspended_after_the_bot_read_them_cannot_publish(desk: Desk) -> None:
    ref = ref_in(await desk.say("analyste.mons", DRAFT))
    read_by_the_bot = await desk.member("analyste.mons")  # active when the message came in
    assert read_by_the_bot.is_active
    await suspend_member(
        SqlUnitOfWork(desk.db.sessions),
        read_by_the_bot.matrix_id,
        "@admin:prevnet.test",
        "left the zone",
        datetime.now(UTC),
    )
    context = Context(
        sender=read_by_the_bot.matrix_id,
        member=read_by_the_bot,
        room_id=direct(read_by_the_bot.matrix_id),
        room_key=None,
        event_id="$publish-after-suspension",
        audience=frozenset({read_by_the_bot.matrix_id}),
    )
    reply = await desk.registry.dispatch(context, f"!alert publish {ref}")
    assert (await desk.alert(parse_ref(ref))).status is AlertStatus.DRAFT
    assert reply is not None and "suspended" in reply.text
