"""A direct chat a member opened stops being used the moment it is no longer private.

Review of issue 15, L4: the bot checked a member-opened chat's history visibility only when it
accepted it; the member could then make it ``world_readable`` and private answers went on into
a room whose history anyone may read. ``direct_room`` checks it (and the join rules) every time,
forgets and leaves such a chat, saying why, and opens a chat of its own.
"""

from __future__ import annotations

import nio
import pytest

from bots.network import MatrixNetwork
from bots.rooms import room_state
from bots.synapse_admin import SynapseAdmin
from tests.security.test_rooms_bot_doors import (  # noqa: F401 - the door fixture
    Door,
    _is,
    bot_gone,
    door,
    says,
    until,
)
from tests.support.bots import wait_until_joined


@pytest.mark.parametrize(
    ("event_type", "content", "why"),
    [
        (
            "m.room.history_visibility",
            {"history_visibility": "world_readable"},
            "its history is now readable by anyone (world_readable)",
        ),
        ("m.room.join_rules", {"join_rule": "public"}, "it is no longer invite-only"),
    ],
)
async def test_a_member_opened_chat_made_readable_or_open_is_left_for_a_bots_own(
    door: Door,  # noqa: F811 - the fixture imported above
    admin: SynapseAdmin,
    network: MatrixNetwork,
    event_type: str,
    content: dict[str, str],
    why: str,
) -> None:
    bot, writer = door.scene.session.user_id, door.writer
    me = str(writer.client.user_id)
    direct = await writer.create_encrypted_room(bot, is_direct=True)
    await wait_until_joined(admin, direct, bot)
    await until(lambda: _is(network.key_of_room(direct), f"dm:{me}"), "the chat was recorded")
    assert await network.direct_room(me) == direct

    changed = await writer.client.room_put_state(direct, event_type, content)
    assert isinstance(changed, nio.RoomPutStateResponse), changed
    assert (await room_state(admin, direct)).content(event_type) == content

    fresh = await network.direct_room(me)

    assert fresh != direct
    state = await room_state(admin, fresh)
    assert state.creator == network.bot and state.encrypted
    assert state.members == {network.bot: "join", me: "invite"}
    assert state.content("m.room.history_visibility") == {"history_visibility": "shared"}
    await writer.wait_for(says(direct, why))
    await until(await bot_gone(admin, direct, bot), "the bot left the chat")
    assert await network.key_of_room(direct) is None
    assert await network.direct_room(me) == fresh
