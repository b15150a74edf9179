"""A RED alert's own room holds exactly the people it was made for, and nobody joins later.

The primitive behind RED delivery (issue 15, "TLP as an enforced flow rule"): an invite-only,
encrypted room with no alias, its members force-joined once; reconciliation adds nobody to it
and takes out anyone no longer active; closing renames it and everyone keeps its history.
"""

from __future__ import annotations

from dataclasses import replace

from bots.network import MatrixNetwork
from bots.rooms import room_state
from bots.synapse_admin import SynapseAdmin
from phenomena.partners import MemberStatus
from tests.matrix.test_membership import make_registry
from tests.support.synapse import LocalHomeserver


async def test_an_alert_room_has_exactly_its_members_and_keeps_them(
    homeserver: LocalHomeserver, admin: SynapseAdmin, network: MatrixNetwork
) -> None:
    reg = make_registry(homeserver)
    await network.reconcile(reg.members.values(), reg.orgs)
    officer, analyst = reg.member("officer"), reg.member("analyst")
    recipients = {officer.matrix_id, analyst.matrix_id}

    room = await network.alert_room("alert:7", "RED A-7", "Burglaries, Mons", recipients)

    state = await room_state(admin, room)
    assert {u for u, m in state.members.items() if m == "join"} == recipients | {network.bot}
    assert state.encrypted and state.creator == network.bot
    assert state.content("m.room.join_rules") == {"join_rule": "invite"}
    assert state.content("m.room.history_visibility") == {"history_visibility": "shared"}
    assert state.content("m.room.canonical_alias") is None
    assert (state.content("m.room.name") or {}).get("name") == "RED A-7"
    assert await network.room_id("alert:7") == room
    assert await network.key_of_room(room) == "alert:7"
    everyone = {m.matrix_id for m in reg.members.values()}
    assert await network.alert_room("alert:7", "RED A-7", "x", everyone) == room
    assert set((await room_state(admin, room)).members) == recipients | {network.bot}

    report = await network.reconcile(reg.members.values(), reg.orgs)
    assert not report.changed_anything and not report.problems, report.summary()
    assert set((await room_state(admin, room)).members) == recipients | {network.bot}

    suspended = replace(officer, status=MemberStatus.SUSPENDED)
    members = [suspended if m == officer else m for m in reg.members.values()]
    report = await network.reconcile(members, reg.orgs)
    assert (officer.matrix_id, "alert:7") in report.removed
    assert set((await room_state(admin, room)).members) == {analyst.matrix_id, network.bot}

    await network.close_alert_room("alert:7", "RED A-7 (closed)")
    state = await room_state(admin, room)
    assert (state.content("m.room.name") or {}).get("name") == "RED A-7 (closed)"
    assert state.members.get(analyst.matrix_id) == "join"
    again = await network.reconcile(members, reg.orgs)
    assert not again.changed_anything, again.summary()


async def test_suspending_a_member_takes_them_out_of_their_alert_rooms(
    homeserver: LocalHomeserver, admin: SynapseAdmin, network: MatrixNetwork
) -> None:
    reg = make_registry(homeserver)
    await network.reconcile(reg.members.values(), reg.orgs)
    officer = reg.member("officer")
    room = await network.alert_room("alert:8", "RED A-8", "t", {officer.matrix_id})
    report = await network.apply_member(replace(officer, status=MemberStatus.SUSPENDED), reg.orgs)
    assert (officer.matrix_id, "alert:8") in report.removed
    assert officer.matrix_id not in (await room_state(admin, room)).members
