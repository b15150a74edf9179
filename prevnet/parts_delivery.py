"""How events leave ``prevnet up``: alert bulletins into rooms and the outbox's subscriptions.

The order of the subscriptions is the order each event's handlers run in, so it is kept here in
one function rather than spread over the start-up.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bots.capsule_commands import register_capsule_commands
from bots.delivery import AlertDelivery
from bots.digest import image_content
from bots.email_replies import EmailReplyNotices
from bots.toolbox import ToolboxNotices
from phenomena.alert import Alert
from phenomena.services.detection import DETECTION_AUTHOR
from phenomena.storage.bulletins import BulletinRecord
from phenomena.storage.unit_of_work import utc_now
from prevnet.capsule_wiring import CapsuleParts, capsule_parts
from prevnet.detection import detection_attachments
from prevnet.escalation_wiring import EscalationParts, escalation_parts
from prevnet.parts_bot import BotParts
from prevnet.parts_core import Core
from prevnet.report_post import report_subscription
from prevnet.seams import bulletin_hold
from prevnet.wiring import (
    bulletin_subscription,
    email_reply_subscription,
    member_lookup,
    membership_subscription,
    metrics_subscription,
    toolbox_subscription,
)

AlertOf = Callable[[int], Awaitable[Alert | None]]
SourceOf = Callable[[Alert], Awaitable[str]]


@dataclass(frozen=True)
class Delivery:
    """The fan-out of alerts into rooms, and the lookups the other handlers share with it."""

    alerts: AlertDelivery
    alert_of: AlertOf
    source_of: SourceOf  # the line naming where an alert came from


@dataclass(frozen=True)
class TimedParts:
    """Parts whose handlers are subscribed here and whose rounds the scheduler runs."""

    escalation: EscalationParts
    capsules: CapsuleParts


def alert_delivery(core: Core, parts: BotParts) -> Delivery:
    """Bulletins posted by the bot, recorded in the ledger and counted in the metrics."""
    uow, bot = core.uow, parts.bot

    async def alert_of(alert_id: int) -> Alert | None:
        async with uow() as unit:
            return await unit.alerts.get(alert_id)

    async def attachments(alert: Alert) -> list[tuple[str, bytes]]:
        if alert.author != DETECTION_AUTHOR:
            return []
        return await detection_attachments(alert, uow(), core.incident_store, core.outlines())

    async def post_image(room_id: str, png: bytes, name: str, thread: str, tx: str) -> str:
        content = await image_content(core.client, room_id, png, name, thread_root=thread)
        return await bot.post(room_id, content, tx_id=tx)

    async def source_of(alert: Alert) -> str:
        if alert.author == DETECTION_AUTHOR:
            return "prevnet detection (space-time scan of incident reports)"
        return await parts.desk.source(alert)

    def counted_record(
        alert_id: int, room: str, room_id: str, event_id: str, version: int
    ) -> BulletinRecord:
        core.metrics.bulletins_sent.inc()  # one record is made per bulletin sent
        return BulletinRecord(alert_id, room, room_id, event_id, version)

    delivery = AlertDelivery(
        post=parts.sharing.recording(bot.post),
        room_id_of=core.network.room_id,
        alert_of=alert_of,
        source_of=source_of,
        ledger=core.ledger,
        record=counted_record,
        territories=core.territories,
        attachments=attachments,
        post_image=post_image,
        rooms=core.network,
        uow=uow,
        direct_room_of=core.network.direct_room,
        before_bulletin=bulletin_hold(os.environ, demo=core.options.demo),
    )
    return Delivery(delivery, alert_of, source_of)


def subscribe_handlers(core: Core, parts: BotParts, delivery: Delivery) -> TimedParts:
    """Subscribe every handler to the outbox dispatcher, in the order they must run."""
    settings, db, uow, dispatcher = core.settings, core.db, core.uow, core.dispatcher
    post, room_id_of, territories = parts.bot.post, core.network.room_id, core.territories

    async def routed_rooms(alert_id: int) -> tuple[str, ...]:
        alert = await delivery.alert_of(alert_id)
        return alert.rooms if alert is not None else ()

    dispatcher.subscribe(membership_subscription(core.network, uow))
    for invitations in parts.mail.subscriptions():  # after membership: the account exists first
        dispatcher.subscribe(invitations)
    dispatcher.subscribe(bulletin_subscription(delivery.alerts))
    dispatcher.subscribe(metrics_subscription(core.metrics))
    dispatcher.subscribe(toolbox_subscription(ToolboxNotices(post, room_id_of, core.ledger)))
    dispatcher.subscribe(
        email_reply_subscription(
            EmailReplyNotices(post, core.ledger, territories, routed_rooms, room_id_of)
        )
    )
    dispatcher.subscribe(  # the monthly attention report, in #admin only
        report_subscription(db, territories, settings.timezone, core.client, post, room_id_of)
    )
    dispatcher.subscribe(parts.duty.subscription(post, room_id_of))  # handover notes
    # timers in the database: a round every check_seconds, posts and mails via the outbox
    escalation = escalation_parts(
        settings,
        db,
        territories,
        uow,
        core.ledger,
        post,
        room_id_of,
        delivery.alert_of,
        member_lookup(uow),
    )
    parts.desk.escalations = escalation.store
    for subscription in escalation.subscriptions:
        dispatcher.subscribe(subscription)
    capsules = capsule_parts(  # !capsule, posted in zone rooms and mailed via the outbox
        settings,
        db,
        parts.desk,
        utc_now,
        dispatcher.wake,
        core.client,
        post,
        room_id_of,
        direct_room=core.network.direct_room,  # where !capsule letter puts the PDF
    )
    register_capsule_commands(parts.commands, capsules.desk)
    for subscription in capsules.subscriptions:
        dispatcher.subscribe(subscription)
    return TimedParts(escalation, capsules)
