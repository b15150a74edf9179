"""Alert events become Matrix messages: moderation notices, bulletins, edits, thread notes.

Each handler is idempotent. Every message has a transaction ID derived from what it is
(``bulletin-12-zone:5324``), so a retry after a crash at any point gets the event the homeserver
already has instead of a second message, and the ledger records what was sent.

TLP holds here too: a RED alert's bulletin goes to its own room (``alert:12``, made with exactly
its recipients' members); the moderation notice of a RED or AMBER+STRICT alert goes in full to
the direct chats of the moderators who may read it, and ``#moderation`` gets a pointer without
content; what the author is told goes to their direct chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from bots.i18n import Labels
from bots.private_rooms import (
    AlertRooms,
    UowFactory,
    alert_room_name,
    alert_room_topic,
    deciding_moderators,
    recipient_members,
)
from bots.rendering import Rendered, render_alert, render_change_note, render_close_note
from phenomena.alert import Alert, AlertStatus
from phenomena.events import (
    AlertClosed,
    AlertExpired,
    AlertPublished,
    AlertRejected,
    AlertRevised,
    AlertSubmitted,
    AlertUpdated,
    AlertWideningDecided,
    AlertWideningProposed,
    Event,
)
from phenomena.rooms import MODERATION, room_languages
from phenomena.territory import TerritoryRegistry

log = logging.getLogger(__name__)

APPROVE_KEYS = frozenset({"✅", "👍", "✔️", "✔", "👍️"})
REJECT_KEYS = frozenset({"❌", "👎", "✖️", "✖", "👎️"})


class BulletinRecordLike(Protocol):
    """What the ledger remembers of a bulletin."""

    @property
    def alert_id(self) -> int: ...
    @property
    def room(self) -> str: ...
    @property
    def room_id(self) -> str: ...
    @property
    def event_id(self) -> str: ...
    @property
    def version(self) -> int: ...


class Ledger(Protocol):
    """Where bulletins and moderation notices are recorded (``SqlBulletinLedger``)."""

    async def bulletins(self, alert_id: int) -> Mapping[str, BulletinRecordLike]: ...
    async def record_bulletin(self, record: Any) -> None: ...
    async def mark_edited(self, alert_id: int, room: str, version: int) -> None: ...
    async def moderation_notice(self, alert_id: int) -> tuple[str, str] | None: ...
    async def record_moderation_notice(
        self, alert_id: int, room_id: str, event_id: str
    ) -> None: ...


Post = Callable[..., Awaitable[str]]
RoomIdOf = Callable[[str], Awaitable[str | None]]
AlertOf = Callable[[int], Awaitable[Alert | None]]
SourceOf = Callable[[Alert], Awaitable[str]]
RecordFactory = Callable[[int, str, str, str, int], Any]
Attachments = Callable[[Alert], Awaitable[list[tuple[str, bytes]]]]
PostImage = Callable[[str, bytes, str, str, str], Awaitable[str]]
DirectRoomOf = Callable[[str], Awaitable[str]]
ALERT_EVENTS = (
    AlertSubmitted,
    AlertRevised,
    AlertPublished,
    AlertUpdated,
    AlertClosed,
    AlertExpired,
    AlertRejected,
    AlertWideningProposed,
    AlertWideningDecided,
)
"""Every event ``AlertDelivery.handle`` delivers (the bulletin subscription's list)."""


def notice(rendered: Rendered) -> dict[str, Any]:
    return {
        "msgtype": "m.notice",
        "body": rendered.text,
        "format": "org.matrix.custom.html",
        "formatted_body": rendered.html,
    }


def edit_content(original_event: str, rendered: Rendered) -> dict[str, Any]:
    """An ``m.replace`` edit that shows ``rendered`` in place of the original."""
    new = notice(rendered)
    return {
        "msgtype": "m.notice",
        "body": "* " + rendered.text,
        "format": "org.matrix.custom.html",
        "formatted_body": "* " + rendered.html,
        "m.new_content": new,
        "m.relates_to": {"rel_type": "m.replace", "event_id": original_event},
    }


def thread_note(root_event: str, text: str) -> dict[str, Any]:
    """A short notice in the thread of a bulletin."""
    return {
        "msgtype": "m.notice",
        "body": text,
        "m.relates_to": {
            "rel_type": "m.thread",
            "event_id": root_event,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": root_event},
        },
    }


class AlertDelivery:
    """The outbox handlers of the alert events (see ``subscriptions`` in prevnet.wiring)."""

    def __init__(
        self,
        *,
        post: Post,
        room_id_of: RoomIdOf,
        alert_of: AlertOf,
        source_of: SourceOf,
        ledger: Ledger,
        record: RecordFactory,
        territories: TerritoryRegistry,
        concurrency: int = 8,
        attachments: Attachments | None = None,
        post_image: PostImage | None = None,
        rooms: AlertRooms | None = None,
        uow: UowFactory | None = None,
        direct_room_of: DirectRoomOf | None = None,
    ) -> None:
        self._post = post
        self._room_id_of = room_id_of
        self._alert_of = alert_of
        self._source_of = source_of
        self._ledger = ledger
        self._record = record
        self._territories = territories
        self._limit = asyncio.Semaphore(concurrency)
        self._attachments = attachments
        self._post_image = post_image
        self._rooms = rooms
        self._uow = uow
        self._direct_room_of = direct_room_of

    def labels(self, room: str) -> Labels:
        """The labels of a room's language(s)."""
        return Labels(room_languages(room, self._territories))

    async def _load(self, alert_id: int) -> Alert:
        alert = await self._alert_of(alert_id)
        if alert is None:
            raise LookupError(f"alert {alert_id} is not in the database")
        return alert

    async def _tell(self, who: str, text: str, tx_id: str, fallback: str | None = None) -> None:
        """A short notice in someone's direct chat with the bot (or ``fallback``'s room)."""
        room = await self._direct_room_of(who) if self._direct_room_of is not None else fallback
        if room is not None:
            await self._post(room, {"msgtype": "m.notice", "body": text}, tx_id=tx_id)

    async def _tell_author(self, alert: Alert, text: str, purpose: str) -> None:
        await self._tell(alert.author, text, f"prevnet-{purpose}-{alert.id}", alert.origin_room)

    async def _note_under_moderation_notice(self, alert_id: int, text: str, purpose: str) -> None:
        """Record the moderators' decision in the thread of the alert's notice, if it has one."""
        notice = await self._ledger.moderation_notice(alert_id)
        if notice is not None:
            room_id, event_id = notice
            await self._post(
                room_id, thread_note(event_id, text), tx_id=f"prevnet-{purpose}-note-{alert_id}"
            )

    async def handle(self, event: Event) -> None:
        """Deliver one alert event."""
        if isinstance(event, AlertSubmitted):
            await self.submitted(event.alert_id)
        elif isinstance(event, AlertPublished):
            await self.published(event.alert_id, event.rooms)
        elif isinstance(event, AlertUpdated):
            await self.updated(event.alert_id, event.version, event.fields, event.rooms)
        elif isinstance(event, AlertClosed | AlertExpired):
            await self.closed(event.alert_id)
        elif isinstance(event, AlertRejected):
            await self.rejected(event.alert_id, event.reason, event.by)
        elif isinstance(event, AlertRevised):
            await self.revised(event.alert_id, event.fields, event.by)
        elif isinstance(event, AlertWideningProposed):
            await self.widening_proposed(event.alert_id, event.fields, event.by)
        elif isinstance(event, AlertWideningDecided):
            await self.widening_refused(event.alert_id, event.by, event.reason, event.proposer)

    async def submitted(self, alert_id: int) -> None:
        """Show a pending alert to the moderators, and tell its author it waits.

        RED and AMBER+STRICT: in full to the direct chat of each moderator who may read it,
        and a pointer without content in ``#moderation``.
        """
        alert = await self._load(alert_id)
        room_id = await self._room_id_of(MODERATION)
        if room_id is None:
            raise LookupError(
                "there is no moderation room yet; it is created with the first moderator"
            )
        if await self._ledger.moderation_notice(alert_id) is None:
            rendered = await self._moderation_notice(alert)
            if not alert.content.tlp.leaves_the_zone:
                await self._to_deciders(alert, rendered, f"prevnet-moderation-{alert_id}")
                rendered = self._pointer(alert, "waits for a moderator's approval")
            event_id = await self._post(
                room_id, notice(rendered), tx_id=f"prevnet-moderation-{alert_id}"
            )
            if self._attachments is not None and self._post_image is not None:
                for number, (name, png) in enumerate(await self._attachments(alert)):
                    await self._post_image(
                        room_id,
                        png,
                        name,
                        event_id,
                        f"prevnet-moderation-{alert_id}-image-{number}",
                    )
            await self._ledger.record_moderation_notice(alert_id, room_id, event_id)
        await self._tell_author(
            alert,
            f"{alert.ref} is waiting for a moderator's approval (another person than you).",
            "submitted",
        )

    def _pointer(self, alert: Alert, what: str) -> Rendered:
        text = (
            f"{alert.ref} ({alert.content.tlp.label}) {what}. The moderators who may read it "
            f"have it in full in their direct chat with the bot: decide there with "
            f"!approve {alert.ref} or !reject {alert.ref} <reason>."
        )
        return Rendered(text, text)

    async def _to_deciders(self, alert: Alert, rendered: Rendered, tx_id: str) -> None:
        """The full notice in the direct chat of every moderator who may decide on it."""
        if self._uow is None or self._direct_room_of is None:
            log.warning("%s: no direct chats wired; its moderators see a pointer only", alert.ref)
            return
        for moderator in await deciding_moderators(self._uow, alert, self._territories):
            room = await self._direct_room_of(moderator)
            await self._post(room, notice(rendered), tx_id=f"{tx_id}-to-{moderator}")

    async def _moderation_notice(self, alert: Alert, in_full: bool = False) -> Rendered:
        """The notice moderators decide on (in ``#moderation``: AMBER and wider only)."""
        footer = (
            f"Approve: react with ✅ or type !approve {alert.ref}. "
            f"Reject: !reject {alert.ref} <reason> (or react with ❌). "
            "Never your own alert: another moderator decides on it."
        )
        if not alert.content.tlp.leaves_the_zone:
            footer = (
                f"{alert.content.tlp.label}: for your eyes; decide with !approve {alert.ref} or "
                f"!reject {alert.ref} <reason> here. Never your own alert."
            )
        return render_alert(
            alert, self._territories, Labels(()), await self._source_of(alert), footer=footer
        )

    async def widening_proposed(self, alert_id: int, fields: tuple[str, ...], by: str) -> None:
        """A widening waits: its text to the moderators (as for moderation), the proposer told."""
        alert = await self._load(alert_id)
        if alert.proposed is None:
            return  # decided already
        proposed = Alert(
            alert.id,
            alert.proposed.content,
            alert.author,
            alert.organisation,
            AlertStatus.PENDING_MODERATION,
            rooms=alert.rooms,
            recipients=alert.recipients,
        )
        what = f"Widening of {alert.ref} proposed by {by} ({', '.join(alert.proposed.widens)})"
        rendered = await self._moderation_notice(proposed)
        rendered = Rendered(f"{what}:\n{rendered.text}", f"<p>{what}:</p>{rendered.html}")
        stamp = alert.proposed.at.strftime("%Y%m%d%H%M%S%f")
        tx_id = f"prevnet-widening-{alert_id}-{stamp}"
        room_id = await self._room_id_of(MODERATION)
        if not alert.content.tlp.leaves_the_zone or not proposed.content.tlp.leaves_the_zone:
            await self._to_deciders(proposed, rendered, tx_id)
            rendered = self._pointer(alert, "has a widening waiting for a moderator")
        if room_id is not None:
            await self._post(room_id, notice(rendered), tx_id=tx_id)
        await self._tell(
            by,
            f"The widening of {alert.ref} ({', '.join(fields)}) waits for a moderator other "
            "than you; its bulletins stay as they are until then.",
            f"{tx_id}-proposer",
        )

    async def widening_refused(self, alert_id: int, by: str, reason: str, proposer: str) -> None:
        """Tell the proposer why their widening was refused."""
        await self._tell(
            proposer,
            f"The widening of A-{alert_id} was refused by {by}: {reason}. The alert stays as it "
            "was.",
            f"prevnet-widening-refused-{alert_id}-{by}",
        )

    async def revised(self, alert_id: int, fields: tuple[str, ...], by: str) -> None:
        """A moderator edited a pending alert: the notice shows the new text, in place."""
        alert = await self._load(alert_id)
        notice = await self._ledger.moderation_notice(alert_id)
        if notice is None or alert.status is not AlertStatus.PENDING_MODERATION:
            return  # no notice yet (it will show the new text) or already decided
        room_id, event_id = notice
        stamp = alert.updated_at.strftime("%Y%m%d%H%M%S%f") if alert.updated_at else "0"
        rendered = await self._moderation_notice(alert)
        tx_id = f"prevnet-moderation-{alert_id}-revised-{stamp}"
        if not alert.content.tlp.leaves_the_zone:  # in full to its deciders, a pointer here
            await self._to_deciders(alert, rendered, tx_id)
            rendered = self._pointer(alert, "waits for a moderator's approval")
        await self._post(room_id, edit_content(event_id, rendered), tx_id=tx_id)
        await self._post(
            room_id,
            thread_note(event_id, f"Edited by {by}: {', '.join(fields)}."),
            tx_id=f"prevnet-moderation-{alert_id}-revised-{stamp}-note",
        )

    async def published(self, alert_id: int, rooms: tuple[str, ...]) -> None:
        """Send the bulletin to every routed room that has none yet, then tell the author."""
        # this is the way from a command to its first bulletin: the alert comes with the event
        # when it was handed over at commit, and the rest is read side by side
        alert = await self._load(alert_id)
        sent, source = await asyncio.gather(
            self._ledger.bulletins(alert_id), self._source_of(alert)
        )
        missing = [room for room in rooms if room not in sent]
        results = await asyncio.gather(
            *(self._send_bulletin(alert, room, source) for room in missing)
        )
        delivered = len(sent) + sum(1 for r in results if r)
        await self._note_under_moderation_notice(
            alert_id, f"Approved by {alert.status_by}; published.", "approved"
        )
        await self._tell_author(
            alert, f"{alert.ref} is published in {delivered} room(s).", "published"
        )

    async def _room_for(self, alert: Alert, room: str) -> str | None:
        """The room ID of a routed room; an alert's own room is made on first use."""
        if not room.startswith("alert:"):
            return await self._room_id_of(room)
        if self._rooms is None or self._uow is None:
            raise LookupError(
                f"{alert.ref} has a room of its own ({room}) and no way to make it is wired: "
                "it is sent nowhere else"
            )
        members = await recipient_members(self._uow, alert)
        return await self._rooms.alert_room(
            room, alert_room_name(alert), alert_room_topic(alert), members
        )

    async def _send_bulletin(self, alert: Alert, room: str, source: str) -> bool:
        room_id = await self._room_for(alert, room)
        if room_id is None:
            log.info("%s: no room %s yet (no partner there); not sent", alert.ref, room)
            return False
        rendered = render_alert(alert, self._territories, self.labels(room), source)
        async with self._limit:
            event_id = await self._post(
                room_id, notice(rendered), tx_id=f"prevnet-bulletin-{alert.id}-{room}"
            )
        await self._ledger.record_bulletin(
            self._record(alert.id, room, room_id, event_id, alert.version)
        )
        return True

    async def updated(
        self, alert_id: int, version: int, fields: tuple[str, ...], rooms: tuple[str, ...]
    ) -> None:
        """Edit every bulletin in place, note the change in its thread, reach new rooms."""
        alert = await self._load(alert_id)
        source = await self._source_of(alert)
        sent = await self._ledger.bulletins(alert_id)

        async def edit(room: str, record: BulletinRecordLike) -> None:
            labels = self.labels(room)
            rendered = render_alert(alert, self._territories, labels, source)
            async with self._limit:
                await self._post(
                    record.room_id,
                    edit_content(record.event_id, rendered),
                    tx_id=f"prevnet-edit-{alert_id}-{room}-v{version}",
                )
                await self._post(
                    record.room_id,
                    thread_note(record.event_id, render_change_note(fields, labels)),
                    tx_id=f"prevnet-note-{alert_id}-{room}-v{version}",
                )
            await self._ledger.mark_edited(alert_id, room, version)

        await asyncio.gather(
            *(edit(room, record) for room, record in sent.items() if record.version < version)
        )
        new_rooms = [room for room in rooms if room not in sent]
        await asyncio.gather(*(self._send_bulletin(alert, room, source) for room in new_rooms))

    async def closed(self, alert_id: int) -> None:
        """Mark every bulletin closed (or expired) in place and say so in its thread."""
        alert = await self._load(alert_id)
        source = await self._source_of(alert)
        sent = await self._ledger.bulletins(alert_id)
        state = "expired" if alert.status is AlertStatus.EXPIRED else "closed"

        async def close(room: str, record: BulletinRecordLike) -> None:
            labels = self.labels(room)
            rendered = render_alert(alert, self._territories, labels, source)
            async with self._limit:
                await self._post(
                    record.room_id,
                    edit_content(record.event_id, rendered),
                    tx_id=f"prevnet-{state}-{alert_id}-{room}",
                )
                note = render_close_note(alert.status, alert.status_reason, labels)
                await self._post(
                    record.room_id,
                    thread_note(record.event_id, note),
                    tx_id=f"prevnet-{state}-note-{alert_id}-{room}",
                )

        await asyncio.gather(*(close(room, record) for room, record in sent.items()))
        if self._rooms is not None:
            for room in alert.rooms:
                if room.startswith("alert:"):
                    await self._rooms.close_alert_room(room, alert_room_name(alert, closed=True))

    async def rejected(self, alert_id: int, reason: str, by: str) -> None:
        """Tell the author why, and note it under the moderation notice."""
        alert = await self._load(alert_id)
        await self._note_under_moderation_notice(
            alert_id, f"Rejected by {by}: {reason}", "rejected"
        )
        await self._tell_author(
            alert,
            f"{alert.ref} was not published: a moderator ({by}) rejected it: {reason}",
            "rejected",
        )
