"""Which rooms the bot is in besides its own: direct chats that active members open with it.

The bot joins a room it is invited to only when the invitation is a direct chat
(``is_direct``) from a registered, active member, and the room holds just the two of them
(``DirectChats.accept_direct_chat`` checks and records it). It declines every other invitation,
and leaves a direct chat as soon as somebody else is invited to it or joins: private answers
never go to a room that is no longer private.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

import nio

from phenomena.partners import Member
from phenomena.room_keys import DIRECT

log = logging.getLogger(__name__)

NO_LONGER_PRIVATE = (
    "Somebody else was invited to this chat or joined it, so it is no longer private between "
    "you and prevnet: prevnet leaves it. Private answers come in a new direct chat."
)
NOT_PRIVATE = (
    "prevnet answers privately only in a direct chat of just you and the bot, invite-only and "
    "encrypted; this one is not, so prevnet leaves it. Start a new direct chat with the bot."
)


class DirectChats(Protocol):
    """Where direct chats are checked and recorded (``bots.network.MatrixNetwork``)."""

    async def accept_direct_chat(self, room_id: str, matrix_id: str) -> bool: ...
    async def forget_direct_chat(self, room_id: str) -> None: ...


MemberLookup = Callable[[str], Awaitable[Member | None]]
RoomKeyLookup = Callable[[str], Awaitable[str | None]]
Notify = Callable[[str, str], Awaitable[object]]  # (room ID, text)


async def answer_invite(
    client: nio.AsyncClient,
    member_of: MemberLookup,
    direct_chats: DirectChats | None,
    notify: Notify,
    room_id: str,
    event: nio.InviteMemberEvent,
) -> bool:
    """Join a member's direct chat, decline anything else; True if the bot stays."""
    member = await member_of(event.sender)
    direct = (event.content or {}).get("is_direct") is True
    if member is None or not member.is_active or not direct:
        why = "not a direct chat" if member is not None and member.is_active else "no member"
        log.info("declining %s's invitation to %s: %s", event.sender, room_id, why)
        await client.room_leave(room_id)
        return False
    joined = await client.join(room_id)
    if isinstance(joined, nio.JoinError):
        log.warning("could not join %s's direct chat %s: %s", event.sender, room_id, joined)
        return False
    if direct_chats is not None and not await direct_chats.accept_direct_chat(
        room_id, event.sender
    ):
        log.info("leaving %s: not a private chat with %s", room_id, event.sender)
        await _leave(client, notify, room_id, NOT_PRIVATE)
        return False
    return True


async def watch_direct_chat(
    client: nio.AsyncClient,
    room_key_of: RoomKeyLookup,
    direct_chats: DirectChats | None,
    notify: Notify,
    room: nio.MatrixRoom,
    event: nio.RoomMemberEvent,
) -> None:
    """Leave a direct chat that somebody besides its member and the bot comes into."""
    if event.membership not in ("join", "invite", "knock") or event.state_key == client.user_id:
        return
    key = await room_key_of(room.room_id)
    if key is not None and not key.startswith(DIRECT):
        return  # one of prevnet's rooms: reconciliation looks after who is in it
    if key is not None:
        if event.state_key == key[len(DIRECT) :]:
            return
    else:
        people = set(room.users) | set(room.invited_users) | {event.state_key}
        if len(people - {str(client.user_id)}) <= 1:
            return
    log.info("leaving %s: %s came into a direct chat", room.room_id, event.state_key)
    if direct_chats is not None:
        await direct_chats.forget_direct_chat(room.room_id)
    await _leave(client, notify, room.room_id, NO_LONGER_PRIVATE)


async def _leave(client: nio.AsyncClient, notify: Notify, room_id: str, text: str) -> None:
    try:
        await notify(room_id, text)
    except ConnectionError:
        log.warning("could not say why the bot leaves %s", room_id)
    await client.room_leave(room_id)
