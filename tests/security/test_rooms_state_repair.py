"""Reconciliation puts back every room setting prevnet manages, not only who is in a room.

Finding 8 of issue 15: an admin's hand change of #admin to public let a member join it, and
reconciliation repaired memberships and power levels but not join rules, history visibility,
name or topic. The changes here are made as the bot (the homeserver refuses them from members).
"""

from __future__ import annotations

import aiohttp

from bots.network import MatrixNetwork
from bots.rooms import room_state
from bots.synapse_admin import SynapseAdmin
from tests.matrix.test_membership import make_registry
from tests.support.members import Caller
from tests.support.synapse import LocalHomeserver

DRIFT = {
    "m.room.join_rules": {"join_rule": "public"},
    "m.room.history_visibility": {"history_visibility": "world_readable"},
    "m.room.guest_access": {"guest_access": "can_join"},
    "m.room.name": {"name": "Anyone welcome"},
    "m.room.topic": {"topic": "Come in"},
}


async def test_join_rules_history_guests_name_and_topic_are_put_back(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    network: MatrixNetwork,
    http: aiohttp.ClientSession,
) -> None:
    reg = make_registry(homeserver)
    await network.reconcile(reg.members.values(), reg.orgs)
    room = await network.room_id("admin")
    assert room is not None
    bot = Caller(http, homeserver.url, homeserver.bot)
    for event_type, content in DRIFT.items():
        answer = await bot.put_state(room, event_type, content)
        assert answer.status == 200, answer
    member = reg.member("prevention").matrix_id  # not an admin
    await admin.put_user(member, password="pw-prevention")
    joined = await Caller(http, homeserver.url, await admin.login(member, "pw-prevention")).call(
        "POST", f"/join/{room}"
    )
    assert joined.status == 200, joined  # the room was public for a moment

    report = await network.reconcile(reg.members.values(), reg.orgs)

    assert {what for key, what in report.state_repaired if key == "admin"} == {
        "join rules",
        "history visibility",
        "guest access",
        "name",
        "topic",
    }
    assert (member, "admin") in report.removed
    state = await room_state(admin, room)
    assert state.content("m.room.join_rules") == {"join_rule": "invite"}
    assert state.content("m.room.history_visibility") == {"history_visibility": "shared"}
    assert state.content("m.room.guest_access") == {"guest_access": "forbidden"}
    assert (state.content("m.room.name") or {}).get("name") == "Administration"
    assert (state.content("m.room.topic") or {}).get(
        "topic"
    ) == "Membership administration: type !help"
    assert member not in state.members
    assert "repaired the join rules of admin" in report.summary()
    again = await network.reconcile(reg.members.values(), reg.orgs)
    assert not again.changed_anything, again.summary()
