"""The bot goes only into members' direct chats, and acts only on encrypted commands there.

Findings 1 and 13 of issue 15: the bot joined any room a member invited it to (a squatted zone
room among them) and carried out commands sent unencrypted into encrypted rooms (their text
then sits in clear on the homeserver). Now it declines every invitation but a direct chat from
an active member, leaves a direct chat somebody else comes into, and refuses plaintext.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import nio
import pytest

from bots.bot import PLAINTEXT_REFUSED, Bot, bot_client
from bots.commands import Arguments, CommandRegistry, Context, Reply
from bots.invitations import NO_LONGER_PRIVATE
from bots.network import MatrixNetwork
from bots.rooms import room_state
from bots.synapse_admin import SynapseAdmin
from phenomena.partners import Member, Role
from tests.support.bots import FIRST_SYNC_SECONDS, Scene, wait_until_joined, writer_and_bot
from tests.support.people import Person
from tests.support.synapse import LocalHomeserver


@dataclass
class Door:
    """A member at an encrypted client, a colleague, and prevnet's bot running."""

    scene: Scene
    colleague: Member
    bot: Bot
    pings: list[str]

    @property
    def writer(self) -> Person:
        return self.scene.writer


async def until(check: Callable[[], Awaitable[bool]], what: str, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {within} s: {what}")


def says(room_id: str, text: str) -> Callable[[str, nio.Event], bool]:
    return lambda room, event: room == room_id and text in getattr(event, "body", "")


@pytest.fixture
async def door(
    homeserver: LocalHomeserver, admin: SynapseAdmin, network: MatrixNetwork, tmp_path: Path
) -> AsyncIterator[Door]:
    scene = await writer_and_bot(homeserver, admin, tmp_path / "writer-keys")
    colleague_id = homeserver.user_id(homeserver.unique("colleague"))
    await admin.put_user(colleague_id, password="pw")
    colleague = Member(colleague_id, "Colleague", "zp-mons", frozenset({Role.MEMBER}))
    members = {m.matrix_id: m for m in (scene.member, colleague)}

    async def member_of(user: str) -> Member | None:
        return members.get(user)

    pings: list[str] = []
    commands = CommandRegistry()

    @commands.command("ping", help="answer pong")
    async def ping(context: Context, args: Arguments) -> Reply:
        pings.append(str(context.event_id))
        return Reply("pong")

    store = tmp_path / "bot-store"
    store.mkdir()
    client = bot_client(homeserver.url, scene.session, store)
    bot = Bot(client, commands, member_of, network.key_of_room, direct_chats=network)
    stop = asyncio.Event()
    task = asyncio.create_task(bot.run(stop))
    try:
        await asyncio.wait_for(bot.ready.wait(), FIRST_SYNC_SECONDS)
        yield Door(scene, colleague, bot, pings)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await client.close()
        await scene.writer.close()


async def bot_gone(admin: SynapseAdmin, room_id: str, bot: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bot not in (await admin.room_members(room_id))

    return check


async def test_the_bot_declines_a_room_that_is_not_a_direct_chat(
    door: Door, admin: SynapseAdmin, network: MatrixNetwork
) -> None:
    bot = door.scene.session.user_id
    room = await door.writer.create_encrypted_room(bot)  # a group room, as a squatter makes it
    await until(await bot_gone(admin, room, bot), "the bot declined the invitation")
    assert (await room_state(admin, room)).members == {door.writer.client.user_id: "join"}
    assert await network.key_of_room(room) is None


async def test_a_direct_chat_is_used_until_somebody_else_comes_in(
    door: Door, admin: SynapseAdmin, network: MatrixNetwork
) -> None:
    bot, writer = door.scene.session.user_id, door.writer
    direct = await writer.create_encrypted_room(bot, is_direct=True)
    await wait_until_joined(admin, direct, bot)
    await until(
        lambda: _is(network.key_of_room(direct), f"dm:{writer.client.user_id}"),
        "the direct chat was recorded",
    )
    assert await network.direct_room(str(writer.client.user_id)) == direct

    invited = await writer.client.room_invite(direct, door.colleague.matrix_id)
    assert isinstance(invited, nio.RoomInviteResponse), invited
    await until(await bot_gone(admin, direct, bot), "the bot left the chat no longer private")
    await writer.wait_for(says(direct, NO_LONGER_PRIVATE))
    fresh = await network.direct_room(str(writer.client.user_id))
    assert fresh != direct
    state = await room_state(admin, fresh)
    assert state.creator == network.bot and state.encrypted
    assert state.members == {network.bot: "join", str(writer.client.user_id): "invite"}


async def _is(value: Awaitable[str | None], expected: str) -> bool:
    return await value == expected


async def test_a_plaintext_command_in_an_encrypted_room_is_refused(
    door: Door, admin: SynapseAdmin
) -> None:
    bot, writer = door.scene.session.user_id, door.writer
    direct = await writer.create_encrypted_room(bot, is_direct=True)
    await wait_until_joined(admin, direct, bot)
    sent = await admin.request(
        "PUT",
        f"/_matrix/client/v3/rooms/{direct}/send/m.room.message/plain{time.monotonic_ns()}",
        {"msgtype": "m.text", "body": "!ping"},
        token=writer.client.access_token,
    )
    assert sent is not None
    refusal = await writer.wait_for(says(direct, "unencrypted"))
    assert getattr(refusal, "body", "") == PLAINTEXT_REFUSED
    assert door.pings == []

    encrypted = await writer.say(direct, "!ping")
    await writer.wait_for(says(direct, "pong"))
    assert door.pings == [encrypted]  # the plaintext one was never carried out
