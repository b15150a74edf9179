"""prevnet's Synapse module holds its rules on the real homeserver, against members of any power.

Each probe is what an adversarial member tried with raw client-server calls: take a room address
prevnet or its people rely on, open a prevnet room, change who reads its history, turn its
encryption off, invite someone in, invite another server's account, pass for the bot. The bot
itself can still do all of it, so prevnet keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bots.synapse_admin import SynapseAdmin
from tests.support.members import ENCRYPTION, Caller, bot_room, person
from tests.support.synapse import SERVER_NAME, LocalHomeserver


@dataclass
class PrevnetRoom:
    """A room the bot created as prevnet does, with a member who has power 100 in it."""

    room_id: str
    bot: Caller
    member: Caller


async def caller(
    http: aiohttp.ClientSession, admin: SynapseAdmin, homeserver: LocalHomeserver, name: str
) -> Caller:
    return Caller(http, homeserver.url, await person(admin, homeserver, name))


@pytest.fixture
def bot(homeserver: LocalHomeserver, http: aiohttp.ClientSession) -> Caller:
    return Caller(http, homeserver.url, homeserver.bot)


@pytest.fixture
async def member(
    homeserver: LocalHomeserver, http: aiohttp.ClientSession, admin: SynapseAdmin
) -> Caller:
    return await caller(http, admin, homeserver, "member")


@pytest.fixture
async def prevnet_room(bot: Caller, admin: SynapseAdmin, member: Caller) -> PrevnetRoom:
    return PrevnetRoom(await bot_room(bot, admin, member, power=100), bot, member)


def refused(answer: Any, *words: str) -> bool:
    """A 403 M_FORBIDDEN whose message says why (contains ``words``)."""
    return (
        answer.status == 403
        and answer.body.get("errcode") == "M_FORBIDDEN"
        and all(word in answer.error for word in words)
    )


# -- room addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize("localpart", ["zone-5326", "{unique}-zone-5326", "admin", "my-own-room"])
async def test_a_member_cannot_create_a_room_with_an_address(
    homeserver: LocalHomeserver, member: Caller, bot: Caller, localpart: str
) -> None:
    localpart = localpart.format(unique=homeserver.unique("n"))
    before = await member.joined_rooms()
    answer = await member.create_room(room_alias_name=localpart)
    assert refused(answer, "only prevnet's bot gives rooms addresses"), answer
    assert await member.joined_rooms() == before  # refused before the room existed
    # the address names no room of the member's (other tests may have given it to the bot's)
    assert await bot.resolve(f"#{localpart}:{SERVER_NAME}") not in await member.joined_rooms()


@pytest.mark.parametrize("localpart", ["zone-{n}", "{unique}-province-10000", "toolbox"])
async def test_a_member_cannot_point_an_address_at_their_room(
    homeserver: LocalHomeserver, member: Caller, bot: Caller, localpart: str
) -> None:
    alias = "#" + localpart.format(n=homeserver.unique("")[:4], unique=homeserver.unique("n"))
    alias += f":{SERVER_NAME}"
    created = await member.create_room()
    assert created.status == 200, created
    answer = await member.set_alias(alias, created.body["room_id"])
    assert refused(answer, "only prevnet's bot gives rooms addresses"), answer
    assert await bot.resolve(alias) != created.body["room_id"]  # it may be the bot's, never theirs


async def test_the_bot_creates_and_points_addresses(
    homeserver: LocalHomeserver, bot: Caller, prevnet_room: PrevnetRoom
) -> None:
    localpart = homeserver.unique("n") + "-zone-5326"
    created = await bot.create_room(room_alias_name=localpart)
    assert created.status == 200, created
    assert await bot.resolve(f"#{localpart}:{SERVER_NAME}") == created.body["room_id"]
    second = f"#{homeserver.unique('n')}-admin:{SERVER_NAME}"
    assert (await bot.set_alias(second, prevnet_room.room_id)).status == 200
    assert await prevnet_room.member.resolve(second) == prevnet_room.room_id


# -- the state of prevnet's rooms -----------------------------------------------------------


CHANGES = [
    pytest.param("m.room.join_rules", {"join_rule": "public"}, "invite-only", id="public"),
    pytest.param("m.room.join_rules", {"join_rule": "knock"}, "invite-only", id="knock"),
    pytest.param(
        "m.room.join_rules",
        {"join_rule": "restricted", "allow": []},
        "invite-only",
        id="restricted",
    ),
    pytest.param(
        "m.room.history_visibility",
        {"history_visibility": "world_readable"},
        "history",
        id="history-world-readable",
    ),
    pytest.param(
        "m.room.history_visibility", {"history_visibility": "joined"}, "history", id="history"
    ),
    pytest.param("m.room.encryption", {}, "encrypted", id="encryption-removed"),
    pytest.param("m.room.encryption", {"algorithm": "none"}, "encrypted", id="encryption-changed"),
]


@pytest.mark.parametrize(("event_type", "content", "why"), CHANGES)
async def test_a_member_with_power_100_cannot_change_what_prevnet_set(
    prevnet_room: PrevnetRoom, event_type: str, content: dict[str, Any], why: str
) -> None:
    room, member = prevnet_room.room_id, prevnet_room.member
    before = await member.state(room, event_type)
    # the member really has power 100: an ordinary state change of theirs goes through
    assert (await member.put_state(room, "m.room.topic", {"topic": "mine"})).status == 200
    answer = await member.put_state(room, event_type, content)
    assert refused(answer, why), answer
    assert await member.state(room, event_type) == before


async def test_a_member_with_power_100_cannot_upgrade_a_prevnet_room(
    prevnet_room: PrevnetRoom,
) -> None:
    room, member = prevnet_room.room_id, prevnet_room.member
    before = await member.joined_rooms()
    answer = await member.call("POST", f"/rooms/{room}/upgrade", {"new_version": "12"})
    assert refused(answer, "cannot be upgraded"), answer
    assert await member.joined_rooms() == before  # no replacement room of theirs
    tombstone = await member.call("GET", f"/rooms/{room}/state/m.room.tombstone/")
    assert tombstone.status == 404, tombstone


async def test_a_member_with_power_100_cannot_redact_a_room_setting(
    homeserver: LocalHomeserver, prevnet_room: PrevnetRoom
) -> None:
    room, member = prevnet_room.room_id, prevnet_room.member
    event_id = await member.state_event_id(room, "m.room.encryption")
    answer = await member.call(
        "PUT", f"/rooms/{room}/redact/{event_id}/{homeserver.unique('txn')}", {}
    )
    assert refused(answer, "cannot be redacted"), answer
    assert await member.state(room, "m.room.encryption") == ENCRYPTION


async def test_a_member_with_power_100_cannot_add_rooms_or_addresses_to_a_prevnet_room(
    homeserver: LocalHomeserver, prevnet_room: PrevnetRoom
) -> None:
    room, member = prevnet_room.room_id, prevnet_room.member
    own = (await member.create_room()).body["room_id"]
    child = {"via": [SERVER_NAME]}
    answer = await member.put_state(room, "m.space.child", child, own)
    assert refused(answer, "spaces"), answer
    alias = f"#{homeserver.unique('n')}-zone-5326:{SERVER_NAME}"
    assert (await prevnet_room.bot.set_alias(alias, room)).status == 200
    answer = await member.put_state(room, "m.room.canonical_alias", {"alt_aliases": [alias]})
    assert refused(answer, "addresses"), answer
    # the bot does both
    assert (await prevnet_room.bot.put_state(room, "m.space.child", child, own)).status == 200
    content = {"alias": alias}
    assert (await prevnet_room.bot.put_state(room, "m.room.canonical_alias", content)).status == 200


@pytest.mark.parametrize(("event_type", "content", "why"), CHANGES)
async def test_the_bot_changes_what_it_set(
    prevnet_room: PrevnetRoom, event_type: str, content: dict[str, Any], why: str
) -> None:
    room, bot = prevnet_room.room_id, prevnet_room.bot
    answer = await bot.put_state(room, event_type, content)
    assert answer.status == 200, answer
    assert await bot.state(room, event_type) == content


async def test_a_members_own_room_is_theirs_to_open(
    homeserver: LocalHomeserver, member: Caller
) -> None:
    created = await member.create_room(preset="private_chat")
    room = created.body["room_id"]
    for event_type, content in (
        ("m.room.join_rules", {"join_rule": "public"}),
        ("m.room.history_visibility", {"history_visibility": "joined"}),
    ):
        assert (await member.put_state(room, event_type, content)).status == 200


# -- invites ----------------------------------------------------------------------------------


async def test_a_member_with_power_100_cannot_invite_into_a_prevnet_room(
    homeserver: LocalHomeserver,
    http: aiohttp.ClientSession,
    admin: SynapseAdmin,
    prevnet_room: PrevnetRoom,
) -> None:
    friend = await caller(http, admin, homeserver, "friend")
    answer = await prevnet_room.member.invite(prevnet_room.room_id, friend.user_id)
    assert refused(answer, "only prevnet invites"), answer
    membership = await prevnet_room.bot.call(
        "GET", f"/rooms/{prevnet_room.room_id}/state/m.room.member/{friend.user_id}"
    )
    assert membership.status == 404, membership
    # the bot invites, and a member invites into a room of their own
    assert (await prevnet_room.bot.invite(prevnet_room.room_id, friend.user_id)).status == 200
    own = await prevnet_room.member.create_room()
    assert (await prevnet_room.member.invite(own.body["room_id"], friend.user_id)).status == 200


async def test_nobody_invites_an_account_of_another_server(
    member: Caller, prevnet_room: PrevnetRoom
) -> None:
    own = await member.create_room()
    stranger = "@x:evil.example"
    for who, room in (
        (member, own.body["room_id"]),
        (prevnet_room.bot, prevnet_room.room_id),
    ):
        answer = await who.invite(room, stranger)
        assert refused(answer, "another server", f"accounts of {SERVER_NAME} only"), (who, answer)
    answer = await member.create_room(invite=[stranger])
    assert answer.status == 403, answer


# -- passing for the bot ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "prevnet",
        "Prevnet ",
        "PREVNET bot",
        "pr\u0435vnet",  # Cyrillic е
        "\u0440rev\u0578et",  # Cyrillic р, Armenian ո
        "ｐｒｅｖｎｅｔ",  # full-width
        "p r e v n e t",
        "prev\u200bnet",  # zero-width space
        "pr3vn3t",
        "Prévnet",
        "\ua4d1revnet",  # Lisu ꓑ
        "\u2ca3revnet",  # Coptic ⲣ
        "pr\u212evnet",  # estimated sign ℮
        "prev\u1952et",  # Tai Le ᥒ
        "prev\u0438et",  # Cyrillic и, no look-alike of n by shape but by place
        "p\u044fevnet",  # Cyrillic я
    ],
)
async def test_a_member_cannot_take_a_display_name_that_passes_for_the_bot(
    member: Caller, prevnet_room: PrevnetRoom, name: str
) -> None:
    own = (await member.create_room()).body["room_id"]
    for room in (own, prevnet_room.room_id):
        content = {"membership": "join", "displayname": name}
        answer = await member.put_state(room, "m.room.member", content, member.user_id)
        assert refused(answer, "imitates prevnet's bot"), (room, answer)
        shown = await member.state(room, "m.room.member", member.user_id)
        assert shown.get("displayname") != name


@pytest.mark.parametrize(
    "name", ["Alice Dupont", "Prévention Mons", "Inspecteur Net", "Алексей", "Иван Петров"]
)
async def test_an_ordinary_display_name_passes(
    prevnet_room: PrevnetRoom, member: Caller, name: str
) -> None:
    content = {"membership": "join", "displayname": name}
    room = prevnet_room.room_id
    assert (await member.put_state(room, "m.room.member", content, member.user_id)).status == 200
    assert (await member.state(room, "m.room.member", member.user_id))["displayname"] == name


async def test_the_bot_keeps_its_own_name(prevnet_room: PrevnetRoom) -> None:
    bot, room = prevnet_room.bot, prevnet_room.room_id
    content = {"membership": "join", "displayname": "prevnet"}
    assert (await bot.put_state(room, "m.room.member", content, bot.user_id)).status == 200
