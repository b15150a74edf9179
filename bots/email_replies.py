"""Members' e-mailed replies to a bulletin, posted in the thread of each of its bulletins.

A reply by e-mail answers the alert, not one room, so every routed room's thread shows it, with
the member's name and organisation, in that room's language. Transaction IDs derive from the
reply and the room: a retried delivery posts nothing twice.
"""

from __future__ import annotations

import html

from bots.delivery_ports import Post
from bots.i18n import Labels
from bots.messages import thread_note
from bots.toolbox import ThreadLedger
from phenomena.events import EmailReplied, Event
from phenomena.rooms import room_languages
from phenomena.territory import TerritoryRegistry


class EmailReplyNotices:
    """Outbox handler of :class:`EmailReplied` (subscription ``matrix-email-replies``)."""

    def __init__(self, post: Post, ledger: ThreadLedger, territories: TerritoryRegistry) -> None:
        self._post = post
        self._ledger = ledger
        self._territories = territories

    async def handle(self, event: Event) -> None:
        """Post the reply in every bulletin thread of its alert (none yet: nothing to answer)."""
        if not isinstance(event, EmailReplied):
            return
        for room, bulletin in sorted((await self._ledger.bulletins(event.alert_id)).items()):
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
            await self._post(bulletin.room_id, content, tx_id=f"{event.event_id}-{room}")
