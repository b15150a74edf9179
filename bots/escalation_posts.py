"""Escalation posts: the on-duty members mentioned in a bulletin's thread, the moderators in
``#moderation``.

A post says only what the step recorded (``escalations.detail``), with real Matrix mentions
(``m.mentions.user_ids`` and a pill per person) and nothing of the alert's text:

- an acknowledgement step posts in the thread of the alert's bulletin in each routed room that
  has someone on duty, in the room's language; it names the alert by reference only, so a RED
  alert's own room gets nothing it did not have;
- when nobody on duty could be called, ``#moderation`` is told (reference, label and room
  keys only), so that an unacknowledged alert is never left in silence;
- a moderation step posts in the thread of the alert's notice in ``#moderation`` (for RED and
  AMBER+STRICT that notice is already a pointer without content, and the full notice sits in
  the deciding moderators' direct chats): the reference, the label, how long it has waited and
  the commands. The moderators are mentioned where they already decide, and are notified.

Transaction IDs derive from the step and the room: a retried delivery posts nothing twice.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bots.delivery_ports import Post, RoomIdOf
from bots.i18n import Labels
from bots.messages import thread_note
from phenomena.alert import Alert
from phenomena.escalation import ACK, FEDERAL_LEVEL, EscalationFired
from phenomena.events import Event
from phenomena.rooms import MODERATION, room_languages
from phenomena.territory import TerritoryRegistry

DetailOf = Callable[[int, str, int], Awaitable[Mapping[str, Any] | None]]
"""What a fired step recorded (alert, kind, level), or None."""
AlertOf = Callable[[int], Awaitable[Alert | None]]
BulletinsOf = Callable[[int], Awaitable[Mapping[str, Any]]]
"""The alert's bulletins by room key (``SqlBulletinLedger.bulletins``)."""
NoticeOf = Callable[[int], Awaitable[tuple[str, str] | None]]
"""The room and event of the alert's moderation notice."""


def pill(matrix_id: str, name: str) -> str:
    """A mention pill as Matrix clients render it."""
    return f'<a href="https://matrix.to/#/{html.escape(matrix_id)}">{html.escape(name)}</a>'


def mention_content(
    root: str | None, text: str, people: Sequence[str], names: Mapping[str, str]
) -> dict[str, Any]:
    """A notice (in ``root``'s thread, if any) that mentions ``people`` for real."""
    plain = ", ".join(f"{names.get(p, p)} ({p})" for p in people)
    rich = ", ".join(pill(p, names.get(p, p)) for p in people)
    body = f"⏰ {text}" + (f"\n{plain}" if people else "")
    formatted = f"⏰ {html.escape(text)}" + (f"<br>{rich}" if people else "")
    content: dict[str, Any] = thread_note(root, body) if root else {"msgtype": "m.notice"}
    content["body"] = body
    content["format"] = "org.matrix.custom.html"
    content["formatted_body"] = formatted
    content["m.mentions"] = {"user_ids": list(people)}
    return content


class EscalationPosts:
    """Outbox handler of :class:`EscalationFired` (subscription ``matrix-escalations``)."""

    def __init__(
        self,
        post: Post,
        detail_of: DetailOf,
        alert_of: AlertOf,
        bulletins_of: BulletinsOf,
        moderation_notice_of: NoticeOf,
        room_id_of: RoomIdOf,
        territories: TerritoryRegistry,
    ) -> None:
        self._post = post
        self._detail_of = detail_of
        self._alert_of = alert_of
        self._bulletins_of = bulletins_of
        self._moderation_notice_of = moderation_notice_of
        self._room_id_of = room_id_of
        self._territories = territories

    async def handle(self, event: Event) -> None:
        """Post what the fired step recorded."""
        if not isinstance(event, EscalationFired):
            return
        detail = await self._detail_of(event.alert_id, event.kind, event.level)
        alert = await self._alert_of(event.alert_id)
        if detail is None or alert is None:
            return
        names: Mapping[str, str] = detail.get("names") or {}
        if event.kind == ACK:
            await self._ack(event, alert, detail, names)
        else:
            await self._moderation(event, alert, detail, names)

    async def _ack(
        self,
        event: EscalationFired,
        alert: Alert,
        detail: Mapping[str, Any],
        names: Mapping[str, str],
    ) -> None:
        bulletins = await self._bulletins_of(alert.id)
        rooms: Mapping[str, Any] = detail.get("rooms") or {}
        if not any(calls.get("mentioned") for calls in rooms.values()):
            await self._nobody_on_duty(event, alert, detail, sorted(rooms))
            return
        for room, calls in sorted(rooms.items()):
            people = list(calls.get("mentioned") or [])
            bulletin = bulletins.get(room)
            if not people or bulletin is None or room not in alert.rooms:
                continue  # nobody to call here, or a room the alert was not routed to
            label = Labels(room_languages(room, self._territories))
            text = label(
                "{ref}: no routed organisation has acknowledged this bulletin after {after}. "
                "On duty, please look at it and react to the bulletin to acknowledge it:",
                ref=alert.ref,
                after=str(detail.get("after", "")),
            )
            content = mention_content(bulletin.event_id, text, people, names)
            tx_id = f"prevnet-escalation-{alert.id}-ack-{event.level}-{room}"
            await self._post(bulletin.room_id, content, tx_id=tx_id)

    async def _nobody_on_duty(
        self,
        event: EscalationFired,
        alert: Alert,
        detail: Mapping[str, Any],
        rooms: Sequence[str],
    ) -> None:
        """Nobody could be called: tell ``#moderation`` (reference, label and rooms only), so
        that the silence is not kept."""
        room_id = await self._room_id_of(MODERATION)
        if room_id is None:
            return
        label = Labels(room_languages(MODERATION, self._territories))
        text = label(
            "{ref} ({tlp}) has not been acknowledged after {after}, and nobody on duty could be "
            "called in {rooms}: set a duty rota with prevnet duty set.",
            ref=alert.ref,
            tlp=alert.content.tlp.label,
            after=str(detail.get("after", "")),
            rooms=", ".join(rooms) or "-",
        )
        tx_id = f"prevnet-escalation-{alert.id}-ack-{event.level}-nobody"
        await self._post(room_id, mention_content(None, text, [], {}), tx_id=tx_id)

    async def _moderation(
        self,
        event: EscalationFired,
        alert: Alert,
        detail: Mapping[str, Any],
        names: Mapping[str, str],
    ) -> None:
        notice = await self._moderation_notice_of(alert.id)
        room_id = notice[0] if notice is not None else await self._room_id_of(MODERATION)
        if room_id is None:
            raise LookupError("there is no moderation room yet; the escalation waits for it")
        label = Labels(room_languages(MODERATION, self._territories))
        people = list(detail.get("mentioned") or [])
        values = {
            "ref": alert.ref,
            "tlp": alert.content.tlp.label,
            "after": str(detail.get("after", "")),
        }
        if event.level == FEDERAL_LEVEL:
            text = label(
                "{ref} ({tlp}) still waits for a moderator after {after}; federal moderators, "
                "please decide: !approve {ref} or !reject {ref} <reason>",
                **values,
            )
        else:
            text = label(
                "{ref} ({tlp}) has waited {after} for a moderator; moderators of its province, "
                "please decide: !approve {ref} or !reject {ref} <reason>",
                **values,
            )
        if not people:
            text += " " + label("(nobody at this level can decide on it)")
        root = notice[1] if notice is not None else None
        content = mention_content(root, text, people, names)
        tx_id = f"prevnet-escalation-{alert.id}-moderation-{event.level}"
        await self._post(room_id, content, tx_id=tx_id)
