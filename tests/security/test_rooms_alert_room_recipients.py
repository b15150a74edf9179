"""A member whose organisation moves leaves the RED rooms of alerts not made for it.

Review of issue 15, M1: a partner import moved a member from one organisation to another; they
stayed in the old organisation's RED rooms and read every later edit and close note. Applying
the member, and reconciling, now take them out of each alert room whose recipients no longer
include their organisation; nobody is added, and the recipients' members stay.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from bots.network import MatrixNetwork
from bots.room_repair import stored_recipients
from bots.rooms import room_state
from bots.synapse_admin import SynapseAdmin
from phenomena.alert import parse_ref
from phenomena.storage.database import Database
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from tests.matrix.test_membership import make_registry
from tests.security.test_alerts_red_rooms import RED
from tests.support.alert_desk import Desk, ref_in
from tests.support.synapse import LocalHomeserver

RECIPIENTS = {7: frozenset({"zp-mons"}), 8: frozenset({"zp-mons", "pcs-mons"})}


async def recipients(alert_id: int) -> Collection[str] | None:
    """The stored recipients of the alerts of this test (``stored_recipients`` in production)."""
    return RECIPIENTS.get(alert_id)


async def test_moving_organisation_takes_a_member_out_of_red_rooms_not_theirs(
    homeserver: LocalHomeserver, admin: SynapseAdmin, network: MatrixNetwork
) -> None:
    network.alert_recipients = recipients
    reg = make_registry(homeserver)
    await network.reconcile(reg.members.values(), reg.orgs)
    officer, analyst = reg.member("officer"), reg.member("analyst")
    prevention = reg.member("prevention")
    mons = await network.alert_room(
        "alert:7", "A-7 · TLP:RED", "t", {officer.matrix_id, analyst.matrix_id}
    )
    wide = await network.alert_room(
        "alert:8", "A-8 · TLP:RED", "t", {officer.matrix_id, prevention.matrix_id}
    )
    report = await network.reconcile(reg.members.values(), reg.orgs)
    assert not report.removed and not report.problems, report.summary()

    moved = replace(officer, organisation="pz-oostende")
    report = await network.apply_member(moved, reg.orgs)  # the membership handler

    assert {(officer.matrix_id, "alert:7"), (officer.matrix_id, "alert:8")} <= set(
        report.removed
    ), report.summary()
    assert set((await room_state(admin, mons)).members) == {analyst.matrix_id, network.bot}
    assert set((await room_state(admin, wide)).members) == {prevention.matrix_id, network.bot}

    to_pcs = replace(analyst, organisation="pcs-mons")  # moved by an import, not yet applied
    members = [
        moved if m == officer else to_pcs if m == analyst else m for m in reg.members.values()
    ]
    report = await network.reconcile(members, reg.orgs)

    assert (analyst.matrix_id, "alert:7") in report.removed, report.summary()
    assert (analyst.matrix_id, "alert:8") not in report.removed
    assert set((await room_state(admin, mons)).members) == {network.bot}
    assert set((await room_state(admin, wide)).members) == {prevention.matrix_id, network.bot}
    assert officer.matrix_id not in (await room_state(admin, wide)).members  # nobody added
    again = await network.reconcile(members, reg.orgs)
    assert not again.removed and not again.problems, again.summary()


async def test_the_stored_recipients_are_those_the_red_room_was_made_for(
    db: Database, territories: TerritoryRegistry
) -> None:
    """``stored_recipients``, which prevnet up and prevnet reconcile wire, agrees with creation."""
    desk = Desk(db, territories)
    await desk.load_demo()
    draft = await desk.say("inspecteur.mons", RED + "\nrecipients: zp-boraine")
    assert draft is not None
    ref = ref_in(draft)
    await desk.say("inspecteur.mons", f"!alert publish {ref}")
    await desk.deliver()
    lookup = stored_recipients(lambda: SqlUnitOfWork(db.sessions))

    found = await lookup(parse_ref(ref))

    assert found is not None and "zp-boraine" in found
    in_room = desk.rooms.members[f"alert:{parse_ref(ref)}"]
    organisations = {(await desk.member(u[1:].split(":")[0])).organisation for u in in_room}
    assert in_room and organisations <= set(found)
    outside = await desk.member("analist.oostende")
    assert outside.organisation not in found
    assert await lookup(parse_ref(ref) + 1000) is None
