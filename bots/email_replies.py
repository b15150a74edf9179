"""Members' e-mailed replies to a bulletin, posted in the thread of each of its bulletins.

A reply by e-mail answers the alert, not one room, so every routed room's thread shows it, with
the member's name and organisation, in that room's language. Transaction IDs derive from the
reply and the room: a retried delivery posts nothing twice.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Sequence

from bots.delivery_ports import Post, RoomIdOf
from bots.i18n import Labels
from bots.messages import thread_note
from bots.toolbox import ThreadLedger
from phenomena.events import EmailReplied, Event
from phenomena.rooms import room_languages
from phenomena.territory import TerritoryRegistry

RoutedRooms = Callable[[int], Awaitable[Sequence[str]]]
"""The room keys an alert is routed to (none for an alert that is gone)."""


class BulletinPending(LookupError):
    """A routed room's bulletin is not posted yet (its e-mail went first): retry the reply."""

    transient = True


class EmailReplyNotices:
    """Outbox handler of :class:`EmailReplied` (subscription ``matrix-email-replies``)."""

    def __init__(
        self,
        post: Post,
        ledger: ThreadLedger,
        territories: TerritoryRegistry,
        routed_rooms: RoutedRooms,
        room_id_of: RoomIdOf,
    ) -> None:
        self._post = post
        self._ledger = ledger
        self._territories = territories
        self._routed_rooms = routed_rooms
        self._room_id_of = room_id_of

    async def handle(self, event: Event) -> None:
        """Post the reply in every bulletin thread of its alert; while a routed room that exists
        has no bulletin yet, raise so the reply is retried once it is there."""
        if not isinstance(event, EmailReplied):
            return
        bulletins = await self._ledger.bulletins(event.alert_id)
        for room, bulletin in sorted(bulletins.items()):
            label = Labels(room_languages(room, self._territories))
            heading = label(
                "{name} ({organisation}), by e-mail:",
                name=event.display_name,
                organisation=event.organisation,
            )
            content = thread_note(bulletin.event_id, f"✉️ {heading}\n{event.text}")
            content["format"] = "org.matrix.custom.html"
            content["formatted_body"] = f"✉️ <b>{html.escape(heading)}</b><br>" + html.escape(
                event.text
            ).replace("\n", "<br>")
            content["m.mentions"] = {}  # "@room" in a member's text must not use the bot's power
            await self._post(bulletin.room_id, content, tx_id=f"{event.event_id}-{room}")
        for room in await self._routed_rooms(event.alert_id):
            if room not in bulletins and await self._room_id_of(room) is not None:
                raise BulletinPending(
                    f"A-{event.alert_id}: the bulletin in {room} is not posted yet; "
                    "the e-mailed reply follows it there"
                )
