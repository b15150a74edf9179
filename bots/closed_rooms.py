"""Rooms for a few named people: members' direct chats with the bot and per-alert rooms.

Both are recorded in the room directory (``dm:@jean:server``, ``alert:12``) and found there,
never by name. A direct chat is private to one member and the bot; the bot accepts one a member
opens only while nobody else is in it, and leaves it when somebody else comes in. A per-alert
room holds exactly the people it was made with: nobody is added afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

import nio

from bots.room_directory import RoomDirectory
from bots.rooms import ENCRYPTION, RoomState, check, create_room, room_state
from bots.synapse_admin import MatrixAdminError, SynapseAdmin
from phenomena.errors import PrevnetError
from phenomena.room_keys import DIRECT, RoomRecord, direct_key

log = logging.getLogger(__name__)

PRIVATE_HISTORY = frozenset({"shared", "invited", "joined"})
"""History visibilities that keep a chat's past to the people in it."""


def _history(state: RoomState) -> str:
    """The room's history visibility ("shared" when unset, as the Matrix spec says)."""
    return str(
        (state.content("m.room.history_visibility") or {}).get("history_visibility", "shared")
    )


class RoomNotReady(PrevnetError):
    """Some of a new room's members could not be added; calling again adds the rest."""


class ClosedRooms:
    """Creates, finds and checks direct chats and per-alert rooms, as the bot."""

    def __init__(
        self, client: nio.AsyncClient, admin: SynapseAdmin, directory: RoomDirectory
    ) -> None:
        self.client = client
        self.admin = admin
        self.directory = directory

    @property
    def bot(self) -> str:
        return str(self.client.user_id)

    # -- direct chats -------------------------------------------------------------------------

    async def direct_room(self, matrix_id: str) -> str:
        """The member's direct chat with the bot: the recorded one, or a new encrypted one.

        A recorded chat that is no longer private (somebody else in it, open to join, history
        readable by anyone, unencrypted) is forgotten and left, saying why, and a new one made.
        """
        key = direct_key(matrix_id)
        async with self.directory.creating(key):
            record = await self.directory.get(key)
            if record is not None:
                why = await self._not_private(record.room_id, matrix_id)
                if why is None:
                    return record.room_id
                await self.directory.forget(key)
                await self._leave(record.room_id, why)
            room_id = await create_room(self.admin, key, invite=[matrix_id], is_direct=True)
            await self.directory.record(RoomRecord(key, room_id))
            log.info("opened a direct chat with %s (%s)", matrix_id, room_id)
            return room_id

    async def _not_private(self, room_id: str, matrix_id: str) -> str | None:
        """Why the chat is no longer private between the member and the bot (None: it is)."""
        state = await room_state(self.admin, room_id)
        people = state.members
        if people.get(self.bot) != "join" or people.get(matrix_id) not in ("join", "invite"):
            return "you or prevnet left it"
        if set(people) - {self.bot, matrix_id}:
            return "somebody else was invited to it or joined it"
        if (state.content("m.room.join_rules") or {}).get("join_rule") != "invite":
            return "it is no longer invite-only"
        visibility = _history(state)
        if visibility not in PRIVATE_HISTORY:
            return f"its history is now readable by anyone ({visibility})"
        if not state.encrypted:
            return "it is not encrypted"
        return None

    async def _leave(self, room_id: str, why: str) -> None:
        """Say why the bot no longer answers in a chat, then leave it."""
        log.info("leaving direct chat %s: %s", room_id, why)
        text = (
            f"This chat is no longer private between you and prevnet: {why}. prevnet leaves it;"
            " private answers come in a new direct chat."
        )
        try:
            sent = await self.client.room_send(
                room_id,
                "m.room.message",
                {"msgtype": "m.notice", "body": text},
                ignore_unverified_devices=True,
            )
            check(sent, f"say why the bot leaves {room_id}")
        except (MatrixAdminError, nio.LocalProtocolError, nio.SendRetryError) as exc:
            log.warning("could not say why the bot leaves %s: %s", room_id, exc)
        left = await self.client.room_leave(room_id)
        if isinstance(left, nio.ErrorResponse):
            log.warning("could not leave %s: %s", room_id, left.message)

    async def accept_direct_chat(self, room_id: str, matrix_id: str) -> bool:
        """Check a direct chat a member opened (the bot has joined it) and record it.

        It must hold just the two of them, be invite-only, not readable by the world, and be
        encrypted (the bot turns encryption on if it may). False: the bot must leave it.
        """
        state = await room_state(self.admin, room_id)
        if set(state.members) - {self.bot, matrix_id}:
            return False
        if (state.content("m.room.join_rules") or {}).get("join_rule") != "invite":
            return False
        if _history(state) not in PRIVATE_HISTORY:
            return False
        if not state.encrypted:
            try:
                check(
                    await self.client.room_put_state(room_id, "m.room.encryption", ENCRYPTION),
                    "encryption",
                )
            except MatrixAdminError:
                return False
        await self.directory.record(RoomRecord(direct_key(matrix_id), room_id))
        return True

    async def forget_direct_chat(self, room_id: str) -> None:
        """The room is no longer a private chat: stop using it for private answers."""
        key = await self.directory.key_of(room_id)
        if key is not None and key.startswith(DIRECT):
            await self.directory.forget(key)

    # -- per-alert rooms ----------------------------------------------------------------------

    async def alert_room(self, key: str, name: str, topic: str, members: Collection[str]) -> str:
        """The room recorded under ``key``, or a new one with exactly ``members`` in it.

        Invite-only, encrypted, history "shared", no alias. The members are force-joined
        once, when the room is made; a room already complete is returned as it is, with
        nobody added.
        """
        async with self.directory.creating(key):
            record = await self.directory.get(key)
            if record is not None and record.complete:
                return record.room_id
            if record is None:
                room_id = await create_room(self.admin, key, name=name, topic=topic)
                record = RoomRecord(key, room_id, complete=False)
                await self.directory.record(record)
            present = (await room_state(self.admin, record.room_id)).members
            failed: list[str] = []
            for user in sorted(set(members) - {self.bot}):
                if present.get(user) == "join":
                    continue
                try:
                    await self.admin.force_join(user, record.room_id)
                except MatrixAdminError as exc:
                    failed.append(f"{user} ({exc.errcode or exc.status}: {exc.error})")
            if failed:
                raise RoomNotReady(
                    f"room {key} ({record.room_id}) could not take "
                    + ", ".join(failed)
                    + ": fix or drop those members and call again"
                )
            await self.directory.record(RoomRecord(key, record.room_id, complete=True))
            return record.room_id

    async def close_alert_room(self, key: str, name: str) -> None:
        """Rename a per-alert room as closed; its members keep it and its history."""
        record = await self.directory.get(key)
        if record is None:
            log.warning("no room recorded for %s: nothing to close", key)
            return
        check(
            await self.client.room_put_state(record.room_id, "m.room.name", {"name": name}),
            f"close {key}",
        )
