"""A member who takes a zone room's alias first gets nothing: prevnet uses its own room.

Finding 1 and 2 of issue 15: a member created a room with the alias of a zone that had no room
yet (or pointed the alias at their room) and invited the bot; prevnet found rooms by alias, so
it adopted that room and delivered AMBER and RED bulletins into it, and the reconciliation then
failed on a kick the homeserver refused. Now prevnet finds rooms only by the room IDs it
recorded; a squatted alias is taken back, reported, and the squatter's room left alone.
"""

from __future__ import annotations

import aiohttp

from bots.network import MatrixNetwork
from bots.rooms import room_state
from bots.synapse_admin import SynapseAdmin
from tests.matrix.test_membership import make_registry, members_of
from tests.support.members import Caller, person
from tests.support.synapse import LocalHomeserver


async def squat(bot: Caller, squatter: Caller, alias_localpart: str, alias: str) -> str:
    """The squatter's room under ``alias``, made however this homeserver lets a member."""
    created = await squatter.create_room(
        preset="private_chat", room_alias_name=alias_localpart, invite=[bot.user_id]
    )
    if created.status == 200:
        return str(created.body["room_id"])
    # the homeserver reserves prevnet's aliases: make the squat as its admin would let it happen
    created = await squatter.create_room(preset="private_chat", invite=[bot.user_id])
    assert created.status == 200, created
    room_id = str(created.body["room_id"])
    pointed = await bot.set_alias(alias, room_id)
    assert pointed.status == 200, pointed
    return room_id


async def test_a_squatted_zone_alias_is_never_adopted_and_reconciliation_goes_on(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    network: MatrixNetwork,
    http: aiohttp.ClientSession,
) -> None:
    reg = make_registry(homeserver)
    squatter = Caller(http, homeserver.url, await person(admin, homeserver, "squatter"))
    bot = Caller(http, homeserver.url, homeserver.bot)
    alias = network.alias("zone-5415")  # Oostende's zone: no room yet
    theirs = await squat(bot, squatter, network.namespace + "zone-5415", alias)
    assert await admin.resolve_alias(alias) == theirs

    report = await network.reconcile(reg.members.values(), reg.orgs)

    ours = await network.room_id("zone:5415")
    assert ours is not None and ours != theirs
    assert (await room_state(admin, ours)).creator == network.bot
    assert await admin.resolve_alias(alias) == ours  # the alias is prevnet's again
    squatted = (await room_state(admin, theirs)).members
    assert squatted.get(network.bot) != "join"  # the bot is never in the squatter's room
    assert set(squatted) == {squatter.user_id, network.bot}  # nobody was added to it
    assert await network.key_of_room(theirs) is None
    assert await members_of(admin, network, "zone:5415") == {reg.member("ostend").matrix_id}
    assert [p.subject for p in report.problems] == [alias]
    assert theirs in report.problems[0].reason and squatter.user_id in report.problems[0].reason
    assert alias in report.summary() and "Fix:" in report.summary()
    # every other room was made and filled as usual
    assert await members_of(admin, network, "zone:5327") == {reg.member("boraine").matrix_id}
    assert network.problems == report.problems

    again = await network.reconcile(reg.members.values(), reg.orgs)
    assert not again.changed_anything and not again.problems, again.summary()


async def test_a_room_prevnet_made_but_did_not_record_is_found_again(
    homeserver: LocalHomeserver, admin: SynapseAdmin, network: MatrixNetwork
) -> None:
    """A crash between creating a room and recording it: the next run finds that room again."""
    reg = make_registry(homeserver)
    first = await network.reconcile(reg.members.values(), reg.orgs)
    zone = await network.room_id("zone:5324")
    assert zone is not None and "zone:5324" in first.rooms_created
    await network.directory.forget("zone:5324")  # as if the process died before recording it
    network._room_ids.clear()

    report = await network.reconcile(reg.members.values(), reg.orgs)

    assert await network.room_id("zone:5324") == zone
    assert "zone:5324" not in report.rooms_created and not report.problems, report.summary()
