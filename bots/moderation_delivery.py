"""Alert events that concern moderators become Matrix messages: the notice they decide on, its
revisions, widenings waiting, rejections, and what the author or proposer is told.

TLP holds here: the moderation notice of a RED or AMBER+STRICT alert goes in full to the direct
chats of the moderators who may read it, and ``#moderation`` gets a pointer without content.
"""

from __future__ import annotations

import logging

from bots.delivery_ports import DeliveryPorts
from bots.i18n import Labels
from bots.messages import edit_content, notice, thread_note
from bots.private_rooms import deciding_moderators
from bots.rendering import Rendered, render_alert
from phenomena.alert import Alert, AlertStatus
from phenomena.rooms import MODERATION

log = logging.getLogger(__name__)

APPROVE_KEYS = frozenset({"✅", "👍", "✔️", "✔", "👍️"})
REJECT_KEYS = frozenset({"❌", "👎", "✖️", "✖", "👎️"})
"""The reactions by which a moderator approves or rejects the alert of a moderation notice."""


class ModerationDelivery(DeliveryPorts):
    """The outbox handlers of the moderation side of alert events."""

    async def _note_under_moderation_notice(self, alert_id: int, text: str, purpose: str) -> None:
        """Record the moderators' decision in the thread of the alert's notice, if it has one."""
        notice = await self._ledger.moderation_notice(alert_id)
        if notice is not None:
            room_id, event_id = notice
            await self._post(
                room_id, thread_note(event_id, text), tx_id=f"prevnet-{purpose}-note-{alert_id}"
            )

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
