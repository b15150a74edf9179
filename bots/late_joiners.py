"""Late joiners read the open alerts of their rooms: the bot re-shares its room keys with them.

A member who joins a zone room after a bulletin, or logs in on a new device, can fetch the earlier
bulletin (zone rooms keep ``history_visibility: shared``) but lacks the Megolm key that encrypted
it. prevnet chose to re-share keys rather than post bulletins again: nothing is repeated in a room,
reactions and threads stay on the one bulletin, and the member reads it where the others did.

The bot keeps each outbound session's key from index 0 (``bots.room_key_history``) and, when a
member joins or gets a new device, sends that device, Olm-encrypted as an ``m.room_key``, the keys
of the sessions that encrypted OPEN alerts' bulletins (and their edits and notes) in the rooms the
member is joined to at that moment, as the homeserver says. TLP holds: a key goes only to rooms
the person is in, so a RED alert's key never leaves its own room's members; never for a closed or
expired alert; never to anybody who is not an active prevnet member; never twice to one device.

The work runs beside the sync loop, which only queues who to look at. A device that cannot be
reached (no one-time key to claim) is tried ``claim_attempts`` times, then logged and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable
from contextvars import ContextVar
from typing import Any

import nio
from nio.event_builders import ToDeviceMessage

from bots.room_key_history import RoomKeyHistory
from phenomena.partners import Member

log = logging.getLogger(__name__)

MEGOLM = "m.megolm.v1.aes-sha2"

Post = Callable[..., Awaitable[str]]
MemberLookup = Callable[[str], Awaitable[Member | None]]
OpenBulletins = Callable[[], Awaitable[Collection[str]]]
"""The event IDs of the bulletins of every open alert (published or updated, not closed)."""

_ENCRYPTED_WITH: ContextVar[list[str] | None] = ContextVar("prevnet_encrypted_with", default=None)


class LateJoiners:
    """Keeps the bot's session keys and hands them to members' devices that lack them."""

    def __init__(
        self,
        client: nio.AsyncClient,
        history: RoomKeyHistory,
        member_of: MemberLookup,
        open_bulletins: OpenBulletins,
        *,
        claim_attempts: int = 3,
        key_query_seconds: float = 30.0,
    ) -> None:
        self.client = client
        self.history = history
        self._member_of = member_of
        self._open_bulletins = open_bulletins
        self._claim_attempts = claim_attempts
        self._key_query_seconds = key_query_seconds
        self._pending: set[str] = set()
        self._wake = asyncio.Event()
        self._busy = False

    @property
    def idle(self) -> bool:
        """Nobody queued and no pass under way (what a test waits for before looking)."""
        return not self._pending and not self._busy

    # -- hooks into matrix-nio ----------------------------------------------------------------

    def attach(self) -> None:
        """Keep each new outbound session's key, note which session each message used, and
        queue members who join a room or whose devices change. Call once the store is loaded."""
        olm = self.client.olm
        if olm is None:
            raise RuntimeError("the bot's client has no encryption: load its store first")
        create = olm.create_outbound_group_session
        encrypt = olm.group_encrypt

        def create_and_keep(room_id: str) -> None:
            create(room_id)
            session = olm.outbound_group_sessions[room_id]
            self.history.keep_session(room_id, session.id, session.session_key)  # index 0

        def encrypt_and_note(room_id: str, plaintext: dict[Any, Any]) -> dict[str, str]:
            payload: dict[str, str] = encrypt(room_id, plaintext)
            used = _ENCRYPTED_WITH.get()
            if used is not None:
                used.append(payload["session_id"])
            return payload

        olm.create_outbound_group_session = create_and_keep
        olm.group_encrypt = encrypt_and_note
        self.client.add_event_callback(self._on_member, (nio.RoomMemberEvent,))
        self.client.add_response_callback(self._on_sync, (nio.SyncResponse,))

    def recording(self, post: Post) -> Post:
        """``post`` that also records which session encrypted the event it sent, and who
        already holds that session (matrix-nio shared it with the room's devices)."""

        async def recorded(room_id: str, content: dict[str, Any], **options: Any) -> str:
            used: list[str] = []
            token = _ENCRYPTED_WITH.set(used)
            try:
                event_id = await post(room_id, content, **options)
            finally:
                _ENCRYPTED_WITH.reset(token)
            if used:
                self.history.record_post(room_id, event_id, used, _relates_to(content))
                self._note_nio_shares(room_id, used)
            return event_id

        return recorded

    def _note_nio_shares(self, room_id: str, used: Iterable[str]) -> None:
        olm = self.client.olm
        session = olm.outbound_group_sessions.get(room_id) if olm is not None else None
        if session is not None and session.id in used:
            self.history.mark_shared(session.id, session.users_shared_with)

    async def _on_member(self, room: nio.MatrixRoom, event: nio.RoomMemberEvent) -> None:
        if event.membership == "join" and event.prev_membership != "join":
            self.look_at([event.state_key])

    async def _on_sync(self, response: nio.SyncResponse) -> None:
        changed = response.device_list.changed if response.device_list else []
        if changed:
            self.look_at(changed)

    def look_at(self, users: Iterable[str]) -> None:
        """Queue users whose devices may lack keys (the worker looks at them soon)."""
        fresh = {u for u in users if u != self.client.user_id}
        if fresh:
            self._pending |= fresh
            self._wake.set()

    # -- the worker ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Look at every member of the rooms with open bulletins once (a join or a new device
        may have come while the bot was down), then at whoever is queued, until ``stop``."""
        self._busy = True
        try:
            await self._sweep()
        except Exception:
            log.exception("late joiners: the start-up look at the rooms failed")
        finally:
            self._busy = False
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                waking = asyncio.create_task(self._wake.wait())
                await asyncio.wait({waking, stopping}, return_when=asyncio.FIRST_COMPLETED)
                waking.cancel()
                if stop.is_set():
                    break
                self._wake.clear()
                users, self._pending = self._pending, set()
                self._busy = True
                try:
                    await self.serve(users)
                except Exception:  # the next join or device change is looked at again
                    log.exception("late joiners: a pass over %d user(s) failed", len(users))
                finally:
                    self._busy = False
        finally:
            stopping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopping

    async def _sweep(self) -> None:
        by_room = self.history.sessions_for(await self._open_bulletins())
        for room_id in by_room:
            self.look_at(await self._joined(room_id))

    async def serve(self, users: Collection[str]) -> int:
        """Send each user's devices the open bulletins' session keys of the rooms they are in
        now; returns how many keys were sent."""
        by_room = self.history.sessions_for(await self._open_bulletins())
        if not by_room or not users:
            return 0
        joined: dict[str, set[str]] = {}  # the homeserver's word, asked once per room and pass
        sent = 0
        for user in sorted(users):
            rooms = []
            for room_id in by_room:
                if not self._seen_in(room_id, user):
                    continue  # not even in the bot's view of the room: no need to ask
                if room_id not in joined:
                    joined[room_id] = await self._joined(room_id)
                if user in joined[room_id]:
                    rooms.append(room_id)
            if not rooms or user == self.client.user_id:
                continue
            member = await self._member_of(user)
            if member is None or not member.is_active:
                log.info("late joiners: %s is no active member; no room key is sent", user)
                continue
            wanted = {session for room_id in rooms for session in by_room[room_id]}
            try:
                sent += await self._serve_user(user, wanted)
            except Exception:  # one member's devices must not hold back the others' keys
                log.exception("late joiners: %s's devices could not be served; going on", user)
        return sent

    def _seen_in(self, room_id: str, user: str) -> bool:
        """Whether the bot's synced view has the user in the room (joined or invited)."""
        room = self.client.rooms.get(room_id)
        return room is not None and user in room.users

    async def _joined(self, room_id: str) -> set[str]:
        """Who the homeserver says is joined to the room right now."""
        response = await self.client.joined_members(room_id)
        if not isinstance(response, nio.JoinedMembersResponse):
            log.warning("late joiners: no member list for %s (%s)", room_id, response)
            return set()
        return {m.user_id for m in response.members}

    async def _serve_user(self, user: str, sessions: set[str]) -> int:
        await self._fresh_devices(user)
        olm = self.client.olm
        assert olm is not None
        todo: list[tuple[Any, str]] = []
        for device in olm.device_store.active_user_devices(user):
            if self.history.claim_attempts(user, device.id) >= self._claim_attempts:
                continue  # a poison device: logged when it was given up on
            todo += [
                (device, s)
                for s in sorted(sessions)
                if not self.history.was_shared(s, user, device.id)
            ]
        if not todo:
            return 0
        await self._olm_sessions(user, {device.id: device for device, _ in todo}.values())
        sent = 0
        for device, session_id in todo:
            if await self._send_key(user, device, session_id):
                sent += 1
        return sent

    async def _fresh_devices(self, user: str) -> None:
        """Wait, boundedly, until the user's device list is up to date (a keys query)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._key_query_seconds
        while user in self.client.users_for_key_query and loop.time() < deadline:
            with contextlib.suppress(nio.LocalProtocolError):
                await self.client.keys_query()  # another query under way answers with an error
            if user in self.client.users_for_key_query:
                await asyncio.sleep(0.2)  # that other query's answer is on its way
        if user in self.client.users_for_key_query:
            log.warning("late joiners: %s's devices could not be queried; using those known", user)

    async def _olm_sessions(self, user: str, devices: Iterable[Any]) -> None:
        """Claim one-time keys for devices the bot has no Olm session with; count failures."""
        olm = self.client.olm
        assert olm is not None
        missing = [d for d in devices if not olm.session_store.get(d.curve25519)]
        if not missing:
            return
        response: Any
        try:
            response = await self.client.keys_claim({user: [d.id for d in missing]})
        except Exception as exc:  # a key nio cannot use: counted like a missing one
            response = f"{type(exc).__name__}: {exc}"
        if isinstance(response, nio.KeysClaimError):  # the homeserver's trouble, not the device's
            log.warning(
                "late joiners: the homeserver refused to claim %s's one-time keys (%s); they are"
                " tried again at the member's next join, device change or the bot's restart",
                user,
                response.message,
            )
            return
        for device in missing:
            if olm.session_store.get(device.curve25519):
                continue
            attempts = self.history.claim_failed(user, device.id)
            gave_up = " (given up)" if attempts >= self._claim_attempts else ""
            log.warning(
                "late joiners: no Olm session with %s's device %s, attempt %d of %d%s: %s",
                user,
                device.id,
                attempts,
                self._claim_attempts,
                gave_up,
                getattr(response, "failures", None) or type(response).__name__,
            )

    async def _send_key(self, user: str, device: Any, session_id: str) -> bool:
        olm = self.client.olm
        assert olm is not None
        olm_session = olm.session_store.get(device.curve25519)
        kept = self.history.session_key(session_id)
        if olm_session is None or kept is None:
            return False
        room_id, session_key = kept
        content = {
            "algorithm": MEGOLM,
            "room_id": room_id,
            "session_id": session_id,
            "session_key": session_key,
        }
        encrypted = olm._olm_encrypt(olm_session, device, "m.room_key", content)
        message = ToDeviceMessage("m.room.encrypted", user, device.id, encrypted)
        digest = hashlib.sha256(f"{session_id}\n{user}\n{device.id}".encode()).hexdigest()
        response = await self.client.to_device(message, tx_id=f"prevnet-room-key-{digest[:32]}")
        if not isinstance(response, nio.ToDeviceResponse):
            log.warning(
                "late joiners: the key for %s's device %s was refused: %s",
                user,
                device.id,
                response,
            )
            return False
        self.history.mark_shared(session_id, [(user, device.id)])
        log.info(
            "late joiners: room key %s of %s sent to %s's device %s",
            session_id,
            room_id,
            user,
            device.id,
        )
        return True


def _relates_to(content: dict[str, Any]) -> str | None:
    """The event an edit replaces or a thread note answers (None for a message of its own)."""
    relation = content.get("m.relates_to")
    if isinstance(relation, dict) and isinstance(relation.get("event_id"), str):
        return str(relation["event_id"])
    return None
