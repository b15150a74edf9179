"""Alert events become Matrix messages: bulletins in the routed rooms, their edits and closing
(the moderators' side is ``ModerationDelivery``'s).

Each handler is idempotent. Every message has a transaction ID derived from what it is
(``bulletin-12-zone:5324``), so a retry after a crash at any point gets the event the homeserver
already has instead of a second message, and the ledger records what was sent.

TLP holds here too: a RED alert's bulletin goes to its own room (``alert:12``, made with exactly
its recipients' members); what the author is told goes to their direct chat.

Priority holds here: an urgent bulletin mentions the room (``bots.bulletin_mentions``), an
``info`` alert posts no bulletin in a zone or province room (it waits for the weekly digest and
``!alert list``). A RED info alert's own room still gets it, quietly: that room is made for
exactly its recipients, who have no digest and no listing to find it in otherwise.
"""

from __future__ import annotations

import asyncio
import logging

from bots.bulletin_mentions import bulletin_content, bulletin_edit, change_note
from bots.delivery_ports import BulletinRecordLike
from bots.messages import thread_note
from bots.moderation_delivery import ModerationDelivery
from bots.private_rooms import alert_room_name, alert_room_topic, recipient_members
from bots.rendering import render_alert, render_change_note, render_close_note
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
from phenomena.priority import Priority

log = logging.getLogger(__name__)

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


class AlertDelivery(ModerationDelivery):
    """The outbox handlers of the alert events (see ``subscriptions`` in prevnet.wiring)."""

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

    async def published(self, alert_id: int, rooms: tuple[str, ...]) -> None:
        """Send the bulletin to every routed room that has none yet, then tell the author."""
        # this is the way from a command to its first bulletin: the alert comes with the event
        # when it was handed over at commit, and the rest is read side by side
        alert = await self._load(alert_id)
        if not alert.content.priority.posted_as_bulletin:
            rooms = _own_rooms(rooms)
            if not rooms:
                await self._published_without_bulletin(alert)
                return
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

    async def _published_without_bulletin(self, alert: Alert) -> None:
        """An info alert: nothing in its rooms; the moderators' thread and the author told."""
        await self._note_under_moderation_notice(
            alert.id,
            f"Approved by {alert.status_by}; published as info, without a bulletin.",
            "approved",
        )
        await self._tell_author(
            alert,
            f"{alert.ref} is published as info: no bulletin is posted; it is in !alert list and "
            "in the next weekly digest of its room(s).",
            "published",
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
        if self._before_bulletin is not None:
            await self._before_bulletin()
        async with self._limit:
            event_id = await self._post(
                room_id,
                bulletin_content(rendered, alert.content.priority),
                tx_id=f"prevnet-bulletin-{alert.id}-{room}",
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
        priority = alert.content.priority
        rings = "priority" in fields and priority is Priority.URGENT

        async def edit(room: str, record: BulletinRecordLike) -> None:
            labels = self.labels(room)
            rendered = render_alert(alert, self._territories, labels, source)
            async with self._limit:
                await self._post(
                    record.room_id,
                    bulletin_edit(record.event_id, rendered, priority),
                    tx_id=f"prevnet-edit-{alert_id}-{room}-v{version}",
                )
                await self._post(
                    record.room_id,
                    change_note(record.event_id, render_change_note(fields, labels), rings),
                    tx_id=f"prevnet-note-{alert_id}-{room}-v{version}",
                )
            await self._ledger.mark_edited(alert_id, room, version)

        await asyncio.gather(
            *(edit(room, record) for room, record in sent.items() if record.version < version)
        )
        if not priority.posted_as_bulletin:
            rooms = _own_rooms(rooms)  # info: no new bulletin in a shared room
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
                    bulletin_edit(record.event_id, rendered, alert.content.priority),
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


def _own_rooms(rooms: tuple[str, ...]) -> tuple[str, ...]:
    """The rooms of its own a RED alert is posted in even as info (no shared room)."""
    return tuple(room for room in rooms if room.startswith("alert:"))
