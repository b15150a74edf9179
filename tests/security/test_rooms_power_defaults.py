"""Reconciliation puts back every power-level setting prevnet manages, not only who holds power.

Review of issue 15, M3: only the ``users`` of ``m.room.power_levels`` were compared, so an
admin's hand change such as ``users_default: 100`` (everyone a room admin) or ``kick: 0`` stayed
forever. The changes here are made as the bot (the homeserver refuses them from members).
"""

from __future__ import annotations

import aiohttp

from bots.network import MatrixNetwork
from bots.rooms import power_levels, room_state
from bots.synapse_admin import SynapseAdmin
from tests.matrix.test_membership import make_registry
from tests.support.members import Caller
from tests.support.synapse import LocalHomeserver


async def test_power_level_defaults_kick_and_event_levels_are_put_back(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    network: MatrixNetwork,
    http: aiohttp.ClientSession,
) -> None:
    reg = make_registry(homeserver)
    await network.reconcile(reg.members.values(), reg.orgs)
    bot = Caller(http, homeserver.url, homeserver.bot)
    rooms = {}
    for key in ("zone:5324", "admin"):
        room = await network.room_id(key)
        assert room is not None
        rooms[key] = room
        levels = dict((await room_state(admin, room)).content("m.room.power_levels") or {})
        events = dict(levels["events"])
        events["m.room.encryption"] = 0
        levels.update(users_default=100, kick=0, events=events)
        answer = await bot.put_state(room, "m.room.power_levels", levels)
        assert answer.status == 200, answer
    alert = await network.alert_room("alert:91", "RED A-91", "t", {reg.member("officer").matrix_id})
    levels = dict((await room_state(admin, alert)).content("m.room.power_levels") or {})
    levels.update(users_default=100, ban=0)
    assert (await bot.put_state(alert, "m.room.power_levels", levels)).status == 200

    report = await network.reconcile(reg.members.values(), reg.orgs)

    assert {"zone:5324", "admin", "alert:91"} <= set(report.power_levels_set), report.summary()
    wanted = power_levels({})
    for room in (*rooms.values(), alert):
        now = (await room_state(admin, room)).content("m.room.power_levels") or {}
        assert now.get("users_default") == 0
        assert now.get("kick") == wanted["kick"] and now.get("ban") == wanted["ban"]
        assert now.get("events") == wanted["events"]
    zone = (await room_state(admin, rooms["zone:5324"])).content("m.room.power_levels") or {}
    assert zone.get("users") == {reg.member("analyst").matrix_id: 50}
    again = await network.reconcile(reg.members.values(), reg.orgs)
    assert not again.changed_anything, again.summary()
