"""The chat side of the toolbox bridge: thread replies out, forum replies and material in.

A member's reply in a bulletin's thread is recorded as a ``ThreadReplied`` event (exactly once,
keyed by its Matrix event ID) for the bridge to post in the alert's topic. The bridge's
``ToolboxReplied`` and ``ToolboxTopicCreated`` events come back here: forum replies are posted
in every thread of the alert's bulletins, new toolbox material is announced in ``#toolbox``.
Transaction IDs derive from the Discourse ids, so a retried delivery posts nothing twice.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from bots.delivery_ports import BulletinRecordLike, Post, RoomIdOf
from bots.messages import thread_note
from phenomena.errors import AlreadyDone
from phenomena.events import Event, ThreadReplied, ToolboxReplied, ToolboxTopicCreated
from phenomena.partners import Member
from phenomena.rooms import TOOLBOX
from phenomena.services.unit_of_work import UnitOfWork


class ThreadLedger(Protocol):
    """The bulletins a thread reply may answer (``SqlBulletinLedger``)."""

    async def find_bulletin(self, event_id: str) -> BulletinRecordLike | None: ...
    async def bulletins(self, alert_id: int) -> Mapping[str, BulletinRecordLike]: ...


def thread_root(content: Mapping[str, Any]) -> str | None:
    """The thread root a message answers in, or None when it is not in a thread."""
    relation = content.get("m.relates_to")
    if isinstance(relation, dict) and relation.get("rel_type") == "m.thread":
        root = relation.get("event_id")
        return root if isinstance(root, str) else None
    return None


async def record_thread_reply(
    ledger: ThreadLedger,
    uow: Callable[[str], UnitOfWork],
    organisation_name: Callable[[str], Awaitable[str]],
    member: Member | None,
    event_id: str,
    root: str,
    text: str,
) -> str:
    """Record a member's reply under a bulletin for the bridge; says what happened (for logs)."""
    if member is None or not member.is_active:
        return "not a member"
    if text.lstrip().startswith("!"):
        return "a command"
    bulletin = await ledger.find_bulletin(root)
    if bulletin is None:
        return "not a bulletin thread"
    reply = ThreadReplied(
        alert_id=bulletin.alert_id,
        room=bulletin.room,
        event_id=event_id,
        sender=member.matrix_id,
        display_name=member.display_name,
        organisation=await organisation_name(member.organisation),
        text=text.strip(),
    )
    try:
        async with uow(f"thread:{event_id}") as unit:
            unit.record(reply)
            await unit.commit()
    except AlreadyDone:
        return "already recorded"
    return "recorded"


class ToolboxNotices:
    """Outbox handler for the bridge's events (subscription ``matrix-toolbox``)."""

    def __init__(self, post: Post, room_id_of: RoomIdOf, ledger: ThreadLedger) -> None:
        self._post = post
        self._room_id_of = room_id_of
        self._ledger = ledger

    async def handle(self, event: Event) -> None:
        if isinstance(event, ToolboxReplied):
            await self.replied(event)
        elif isinstance(event, ToolboxTopicCreated):
            await self.announce(event)

    async def replied(self, event: ToolboxReplied) -> None:
        """The forum reply, in the thread of every bulletin of the alert."""
        text = f"💬 {event.author}, on the toolbox:\n{event.text}\n{event.url}"
        for room, bulletin in sorted((await self._ledger.bulletins(event.alert_id)).items()):
            content = thread_note(bulletin.event_id, text)
            content["format"] = "org.matrix.custom.html"
            content["formatted_body"] = (
                f"💬 <b>{html.escape(event.author)}</b>, on the toolbox:<br>"
                f"{html.escape(event.text)}<br>"
                f'<a href="{html.escape(event.url)}">{html.escape(event.url)}</a>'
            )
            content["m.mentions"] = {}  # a forum author's "@room" must not use the bot's power
            await self._post(
                bulletin.room_id, content, tx_id=f"toolbox-post-{event.post_id}-{room}"
            )

    async def announce(self, event: ToolboxTopicCreated) -> None:
        """New toolbox material, in ``#toolbox``: title, category, excerpt, link."""
        room_id = await self._room_id_of(TOOLBOX)
        if room_id is None:
            raise LookupError("the #toolbox room does not exist yet; retrying later")
        body = (
            f"📚 New in the toolbox ({event.category}): {event.title}\n{event.excerpt}\n{event.url}"
        )
        content = {
            "msgtype": "m.notice",
            "body": body,
            "format": "org.matrix.custom.html",
            "formatted_body": (
                f"📚 New in the toolbox (<i>{html.escape(event.category)}</i>): "
                f'<a href="{html.escape(event.url)}"><b>{html.escape(event.title)}</b></a>'
                f"<br>{html.escape(event.excerpt)}"
            ),
            "m.mentions": {},
        }
        await self._post(room_id, content, tx_id=f"toolbox-topic-{event.topic_id}")
