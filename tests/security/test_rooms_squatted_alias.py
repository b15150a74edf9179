"""A member who takes a zone room's alias first gets nothing: prevnet uses its own room.

Finding 1 and 2 of issue 15: a member created a room with the alias of a zone that had no room
yet (or pointed the alias at their room) and invited the bot; prevnet found rooms by alias, so
it adopted that room and delivered AMBER and RED bulletins into it, and the reconciliation then
failed on a kick the homeserver refused. Now prevnet finds rooms only by the room IDs it
recorded; a squatted alias is taken back, reported, and the squatter's room left alone.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from bots.bot import Bot, bot_client
from bots.commands import CommandRegistry
from bots.network import MatrixNetwork
from bots.rooms import room_state
from bots.synapse_admin import SynapseAdmin
from phenomena.partners import Member, Role
from tests.matrix.test_membership import make_registry, members_of
from tests.support.bots import FIRST_SYNC_SECONDS
from tests.support.members import Caller, person
from tests.support.synapse import LocalHomeserver


async def squat(bot: Caller, squatter: Caller, alias_localpart: str, alias: str) -> str:
    """The squatter's room under ``alias``: the homeserver refuses the member the alias, so the
    squat is made as a careless admin would let it happen (pointing the alias at their room)."""
    refused = await squatter.create_room(
        preset="private_chat", room_alias_name=alias_localpart, invite=[bot.user_id]
    )
    assert refused.status == 403, refused  # the homeserver reserves prevnet's aliases
    created = await squatter.create_room(preset="private_chat", invite=[bot.user_id])
    assert created.status == 200, created
    room_id = str(created.body["room_id"])
    pointed = await squatter.set_alias(alias, room_id)
    assert pointed.status == 403, pointed  # nor may the member point the alias at their room
    pointed = await bot.set_alias(alias, room_id)
    assert pointed.status == 200, pointed
    return room_id


async def declined(admin: SynapseAdmin, room_id: str, bot: str) -> None:
    """Until the running bot has answered its invitation to the room by leaving it."""
    for _ in range(200):
        member = (await room_state(admin, room_id)).content("m.room.member", bot) or {}
        if member.get("membership") == "leave":
            return
        assert member.get("membership") != "join", "the bot joined the squatter's room"
        await asyncio.sleep(0.1)
    raise AssertionError(f"the bot did not answer its invitation to {room_id} within 20 s")


async def test_a_squatted_zone_alias_is_never_adopted_and_reconciliation_goes_on(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    network: MatrixNetwork,
    http: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    reg = make_registry(homeserver)
    squatter = Caller(http, homeserver.url, await person(admin, homeserver, "squatter"))
    as_member = Member(squatter.user_id, "Squatter", "pz-oostende", frozenset({Role.MEMBER}))

    async def member_of(user: str) -> Member | None:
        return as_member if user == squatter.user_id else None

    bot = Caller(http, homeserver.url, homeserver.bot)
    alias = network.alias("zone-5415")  # Oostende's zone: no room yet
    session = await admin.login(homeserver.bot.user_id, homeserver.bot_password)
    store = tmp_path / "bot-store"
    store.mkdir()
    client = bot_client(homeserver.url, session, store)
    running = Bot(client, CommandRegistry(), member_of, network.key_of_room, direct_chats=network)
    stop = asyncio.Event()
    task = asyncio.create_task(running.run(stop))  # prevnet's bot, as prevnet up runs it
    try:
        await asyncio.wait_for(running.ready.wait(), FIRST_SYNC_SECONDS)
        theirs = await squat(bot, squatter, network.namespace + "zone-5415", alias)
        assert await admin.resolve_alias(alias) == theirs
        await declined(admin, theirs, network.bot)

        report = await network.reconcile(reg.members.values(), reg.orgs)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await client.close()

    ours = await network.room_id("zone:5415")
    assert ours is not None and ours != theirs
    assert (await room_state(admin, ours)).creator == network.bot
    assert await admin.resolve_alias(alias) == ours  # the alias is prevnet's again
    squatted = await room_state(admin, theirs)
    assert (squatted.content("m.room.member", network.bot) or {}).get("membership") == "leave"
    assert set(squatted.members) == {squatter.user_id}  # the bot never joined; nobody was added
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
