"""An "@room" a member writes in an alert or a closing reason must not ring a room on the bot's
power: every post but an urgent bulletin (and its thread note) says ``m.mentions: {}``, or a
client's legacy rule rings the whole room for the "@room" in its body."""

from __future__ import annotations

import pytest

from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from tests.support.alert_desk import Desk, ref_in

ALERT = """!alert new
type: vandalism
area: Mons
from: 2026-11-20
tlp: green
summary: @room look at the depot, @room."""


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


async def test_a_members_at_room_rings_nobody_in_moderation_bulletins_or_threads(
    desk: Desk,
) -> None:
    # a commune's alert waits in #moderation, with its text
    ref = ref_in(await desk.say("prevention.mons", ALERT))
    await desk.say("prevention.mons", f"!alert publish {ref}")
    await desk.say("analyste.mons", f"!approve {ref}")
    await desk.say("prevention.mons", f"!alert close {ref} @room done, @room")
    posted = await desk.deliver()
    quoting = [p for p in posted if "@room" in p.body]
    rooms = {p.room for p in quoting}
    assert "!moderation" in rooms and "!zone:5324" in rooms
    assert any("done" in p.body for p in quoting if p.room == "!zone:5324")  # the close note
    for post in quoting:
        assert post.content.get("m.mentions") == {}, (post.room, post.tx_id)
