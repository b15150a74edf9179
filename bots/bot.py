"""The prevnet bot: syncs with the homeserver, answers commands, and posts notices.

End-to-end encryption is on (matrix-nio with its ``e2e`` extra and a persistent key store), so
commands typed in encrypted rooms are read and replies are encrypted. The sync token is stored
once a sync's events are handled, so a restart carries on where the bot stopped: what was typed
while it was down is answered, and what it had handled is not carried out again.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import nio

from bots import key_store
from bots.commands import CommandRegistry, Context, Reply
from bots.invitations import DirectChats, answer_invite, watch_direct_chat
from bots.key_claims import drop_unusable_keys
from bots.synapse_admin import MatrixSendError, Session
from bots.toolbox import thread_root
from phenomena.partners import Member

log = logging.getLogger(__name__)

PLAINTEXT_REFUSED = (
    "Not carried out: your client sent this message unencrypted into an encrypted room, so its"
    " text now sits unencrypted on the homeserver. Turn on encryption in your client (or use"
    " one that encrypts, such as Element) and send the command again."
)


class SyncTokens(Protocol):
    """Where the bot's sync stopped (``phenomena.storage.sync_tokens.SqlSyncTokens``)."""

    async def load(self) -> str | None: ...
    async def save(self, token: str) -> None: ...


MemberLookup = Callable[[str], Awaitable[Member | None]]
RoomKeyLookup = Callable[[str], Awaitable[str | None]]
ReactionHandler = Callable[[Member | None, str, str, str, str], Awaitable[object]]
"""(member, reaction event, event reacted to, key, room the reaction was made in)."""
# (member, event ID, thread root, text): a reply in a thread, e.g. under a bulletin
ThreadReplyHandler = Callable[[Member | None, str, str, str], Awaitable[object]]
# the room ID of a member's direct chat with the bot (``MatrixNetwork.direct_room``)
DirectRoom = Callable[[str], Awaitable[str]]


class BotClient(nio.AsyncClient):  # type: ignore[misc]  # nio is untyped here
    """matrix-nio's client, minus one race: its sync loop and a send to an encrypted room both
    query device keys, and the one that finds nothing left to ask raised, ending the sync loop
    (and with it ``prevnet up``). Nothing left to ask is now an answer, not an error. And a
    member's one-time key that is no key no longer breaks sends (``bots.key_claims``)."""

    async def keys_query(self) -> nio.KeysQueryResponse | nio.KeysQueryError:
        if not self.users_for_key_query:  # checked again, with no await between, by nio
            return nio.KeysQueryError("no key query required: another one is under way")
        return await super().keys_query()

    async def receive_response(self, response: nio.Response) -> None:
        if isinstance(response, nio.KeysClaimResponse) and self.olm is not None:
            drop_unusable_keys(response, self.olm.device_store)  # before nio trusts them
        await super().receive_response(response)


def bot_client(url: str, session: Session, store: Path) -> nio.AsyncClient:
    """The bot's matrix-nio client on its device, with its encryption keys kept in ``store``.

    The sync token is not kept there: it lives in prevnet's database (``SyncTokens``), saved
    once a sync's events are handled. The keys are pickled under the store's own secret
    (``bots.key_store``), and the store is owner-only.
    """
    key = key_store.pickle_key(store)
    key_store.migrate_from_default_key(store, session.user_id, session.device_id, key)
    database = key_store.database_file(store, session.user_id, session.device_id)
    os.close(os.open(database, os.O_RDONLY | os.O_CREAT, 0o600))  # before SQLite makes it 0644
    client = BotClient(
        url,
        session.user_id,
        device_id=session.device_id,
        store_path=str(store),
        config=nio.AsyncClientConfig(
            encryption_enabled=True, store_sync_tokens=False, pickle_key=key
        ),
    )
    client.restore_login(session.user_id, session.device_id, session.access_token)
    key_store.owner_only(store)
    return client


def notice_content(reply: Reply, in_reply_to: str | None = None) -> dict[str, Any]:
    """An ``m.notice`` with a plain-text body and, when given, an HTML body. It mentions nobody
    (``m.mentions: {}``): an answer may quote what a member typed, and without it a client's
    legacy rule rings the whole room for an "@room" in the body, on the bot's power level."""
    content: dict[str, Any] = {"msgtype": "m.notice", "body": reply.text, "m.mentions": {}}
    content["format"] = "org.matrix.custom.html"
    content["formatted_body"] = reply.html or html.escape(reply.text).replace("\n", "<br>")
    if in_reply_to:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": in_reply_to}}
    return content


class Bot:
    """Reads messages, dispatches commands, accepts invitations from members."""

    def __init__(
        self,
        client: nio.AsyncClient,
        commands: CommandRegistry,
        member_of: MemberLookup,
        room_key_of: RoomKeyLookup,
        on_reaction: ReactionHandler | None = None,
        on_thread_reply: ThreadReplyHandler | None = None,
        sync_tokens: SyncTokens | None = None,
        direct_chats: DirectChats | None = None,
        direct_room: DirectRoom | None = None,
    ) -> None:
        self.client = client
        self._direct_chats = direct_chats
        self._direct_room = direct_room
        self.commands = commands
        self._member_of = member_of
        self._room_key_of = room_key_of
        self._on_reaction_handler = on_reaction
        self._on_thread_reply = on_thread_reply
        self._shared_with: dict[str, frozenset[tuple[str, str]]] = {}
        self._tokens = sync_tokens
        self._saving: asyncio.Future[None] | None = None  # a stop lets a save finish
        self._waiting: set[asyncio.Task[None]] = set()  # answers for a direct chat just opened
        self._listening = False  # off during a first sync that only catches up on state
        self.ready = asyncio.Event()
        client.add_event_callback(self._on_message, (nio.RoomMessageText,))
        client.add_event_callback(self._on_undecryptable, (nio.MegolmEvent,))
        client.add_event_callback(self._on_invite, (nio.InviteMemberEvent,))
        client.add_event_callback(self._on_member, (nio.RoomMemberEvent,))
        client.add_event_callback(self._on_reaction, (nio.ReactionEvent,))
        client.add_response_callback(self._on_sync, (nio.SyncResponse,))

    async def start(self) -> None:
        """Upload keys if needed and sync once.

        With a stored sync token, that sync hands over everything that happened since, and the
        bot answers it (a command typed while it was down). Without one (a new device, or a
        token the homeserver refuses), the first sync only learns the rooms' state: old
        messages in them are history, not commands.
        """
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        stored = await self._tokens.load() if self._tokens is not None else None
        first: nio.SyncResponse | nio.SyncError | None = None
        if stored:
            self._listening = True
            first = await self.client.sync(timeout=0, full_state=True, since=stored)
            if isinstance(first, nio.SyncError):
                log.warning("the stored sync token was refused (%s); starting afresh", first)
                self._listening = False
        if not isinstance(first, nio.SyncResponse):
            first = await self.client.sync(timeout=0, full_state=True)
            if isinstance(first, nio.SyncError):
                raise ConnectionError(f"first sync failed: {first.message}")
        await self._on_sync(first)  # sync_forever runs the response callbacks, sync() does not
        self._listening = True
        self.ready.set()

    async def _on_sync(self, response: nio.SyncResponse) -> None:
        """Every event of this sync is handled: save its token, so a restart starts after them.

        A crash before the save repeats the sync's events after the restart; the exactly-once
        markers keep each command to one run, and a reaction counts once.
        """
        if self._tokens is not None:
            self._saving = asyncio.ensure_future(self._save(self._tokens, response.next_batch))
            await asyncio.shield(self._saving)

    @staticmethod
    async def _save(tokens: SyncTokens, token: str) -> None:
        try:
            await tokens.save(token)
        except Exception:  # the next sync saves again; a replay repeats no command
            log.exception("the sync token could not be saved")

    async def run(self, stop: asyncio.Event) -> None:
        """Sync until ``stop`` is set."""
        await self.start()
        sync = asyncio.create_task(self.client.sync_forever(timeout=10_000, full_state=False))
        stopper = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({sync, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if sync in done:
                sync.result()  # re-raise what ended the sync
        finally:
            for task in (sync, stopper):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if self._saving is not None:
                await self._saving  # no write lands after the bot has stopped

    async def send(
        self,
        room_id: str,
        reply: Reply,
        *,
        in_reply_to: str | None = None,
        tx_id: str | None = None,
    ) -> str:
        """Post a notice (encrypted where the room is); returns the event ID."""
        return await self.post(room_id, notice_content(reply, in_reply_to), tx_id=tx_id)

    async def post(
        self,
        room_id: str,
        content: dict[str, Any],
        *,
        tx_id: str | None = None,
        event_type: str = "m.room.message",
    ) -> str:
        """Send any room event. The same ``tx_id`` twice gives the same event, not a second one."""
        await self._keys_for_current_devices(room_id)
        response = await self.client.room_send(
            room_id, event_type, content, tx_id=tx_id, ignore_unverified_devices=True
        )
        if isinstance(response, nio.RoomSendError):
            status = getattr(response.transport_response, "status", 0) or 0
            raise MatrixSendError(room_id, response.status_code, int(status), response.message)
        return str(response.event_id)

    async def _keys_for_current_devices(self, room_id: str) -> None:
        """Start a new encryption session when the room's devices changed since the last send.

        matrix-nio shares a session once, with the devices it knows then: a member who logs in
        on a new device later could not read the bot, and a device that left would still get
        keys. Comparing the device set before each send and rotating on change fixes both.
        """
        room = self.client.rooms.get(room_id)
        if room is None or not room.encrypted or self.client.olm is None:
            return
        if not room.members_synced:
            await self.client.joined_members(room_id)
        if self.client.should_query_keys:
            await self.client.keys_query()
        devices = frozenset(
            (user, device)
            for user, user_devices in self.client.room_devices(room_id).items()
            for device in user_devices
        )
        known = self._shared_with.get(room_id)
        if known is not None and devices != known:
            self.client.olm.rotate_outbound_group_session(room_id)
        self._shared_with[room_id] = devices

    async def _on_message(self, room: nio.MatrixRoom, event: nio.RoomMessageText) -> None:
        if not self._listening:
            return
        if event.sender == self.client.user_id:
            return
        if room.encrypted and not event.decrypted:  # its text must not sit on the server
            await self._refuse_plaintext(room.room_id, event)
            return
        member = await self._member_of(event.sender)
        context = Context(
            sender=event.sender,
            member=member,
            room_id=room.room_id,
            room_key=await self._room_key_of(room.room_id),
            event_id=event.event_id,
            audience=frozenset(room.users) - {self.client.user_id},
        )
        root = thread_root(event.source.get("content", {}))
        if root is not None and self._on_thread_reply is not None:
            try:
                outcome = await self._on_thread_reply(member, event.event_id, root, event.body)
                log.info("thread reply %s: %s", event.event_id, outcome)
            except Exception:
                log.exception("thread reply %s could not be recorded", event.event_id)
        reply = await self.commands.dispatch(context, event.body)
        if reply is not None:
            try:
                await self._answer(room.room_id, event.sender, event.event_id, reply)
            except ConnectionError:
                log.exception("could not answer %s", event.event_id)

    async def _answer(self, room_id: str, sender: str, event_id: str, reply: Reply) -> None:
        """Send a reply where it may be read: a private one to the sender's direct chat with
        the bot, with only its pointer in the room (nothing at all without a direct chat)."""
        if not reply.private:
            await self.send(room_id, reply, in_reply_to=event_id)
            return
        if self._direct_room is None:
            await self.send(
                room_id,
                Reply("I can answer this only in a direct chat with me: start one and ask there."),
                in_reply_to=event_id,
            )
            return
        direct = await self._direct_room(sender)
        if direct in self.client.rooms:
            await self.send(direct, Reply(reply.text, reply.html))
        else:  # a chat just opened: the sync this handler runs in brings it, so wait beside it
            task = asyncio.create_task(self._send_when_known(direct, Reply(reply.text, reply.html)))
            self._waiting.add(task)
            task.add_done_callback(self._waiting.discard)
        if direct != room_id:
            await self.send(room_id, Reply(reply.pointer), in_reply_to=event_id)

    async def _send_when_known(self, room_id: str, reply: Reply, within: float = 30.0) -> None:
        """Send once the client knows the room (a direct chat opened a moment ago)."""
        deadline = asyncio.get_running_loop().time() + within
        while room_id not in self.client.rooms:
            if asyncio.get_running_loop().time() > deadline:
                log.warning(
                    "direct chat %s never came in a sync; a private answer is lost", room_id
                )
                return
            await asyncio.sleep(0.1)
        try:
            await self.send(room_id, reply)
        except ConnectionError:
            log.exception("could not answer in the direct chat %s", room_id)

    async def _on_reaction(self, room: nio.MatrixRoom, event: nio.ReactionEvent) -> None:
        handler = self._on_reaction_handler
        if not self._listening or event.sender == self.client.user_id or handler is None:
            return
        try:
            member = await self._member_of(event.sender)
            outcome = await handler(
                member, event.event_id, event.reacts_to, event.key, room.room_id
            )
            log.info(
                "reaction %s by %s on %s: %s", event.key, event.sender, event.reacts_to, outcome
            )
        except Exception:
            log.exception("reaction %s could not be handled", event.event_id)

    async def _on_undecryptable(self, room: nio.MatrixRoom, event: nio.MegolmEvent) -> None:
        if not self._listening:
            return
        log.warning("cannot decrypt %s in %s yet; asking for the key", event.event_id, room.room_id)
        with contextlib.suppress(Exception):
            await self.client.request_room_key(event)

    async def _on_invite(self, room: nio.MatrixRoom, event: nio.InviteMemberEvent) -> None:
        if not self._listening:
            return
        if event.state_key != self.client.user_id or event.membership != "invite":
            return
        await answer_invite(
            self.client, self._member_of, self._direct_chats, self._notify, room.room_id, event
        )

    async def _on_member(self, room: nio.MatrixRoom, event: nio.RoomMemberEvent) -> None:
        if not self._listening:
            return
        await watch_direct_chat(
            self.client, self._room_key_of, self._direct_chats, self._notify, room, event
        )

    async def _notify(self, room_id: str, text: str) -> None:
        await self.send(room_id, Reply(text))

    async def _refuse_plaintext(self, room_id: str, event: nio.RoomMessageText) -> None:
        log.info("refused an unencrypted message %s in encrypted %s", event.event_id, room_id)
        try:
            await self.send(room_id, Reply(PLAINTEXT_REFUSED), in_reply_to=event.event_id)
        except ConnectionError:
            log.exception("could not answer %s", event.event_id)
