"""Escalation in a running prevnet: the scheduler's round and the outbox handlers, from settings.

``prevnet up`` runs :attr:`EscalationParts.job` every ``[attention] check_seconds`` (under a
lock, so one instance runs each round) and subscribes :attr:`EscalationParts.subscriptions`:
the Matrix posts first, then (with ``[email]``) the e-mails.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bots.delivery_ports import Post, RoomIdOf
from bots.escalation_posts import EscalationPosts
from phenomena.alert import Alert
from phenomena.escalation import FIRED, EscalationFired, Timers
from phenomena.notify_prefs import NotifyPreference
from phenomena.partners import Member
from phenomena.storage.bulletins import SqlBulletinLedger
from phenomena.storage.database import Database
from phenomena.storage.duty import SqlDutyRota
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.escalations import SqlEscalations
from phenomena.storage.notify_prefs import SqlNotifyPreferences
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Subscription
from prevnet.escalation_job import EscalationJob, OnDuty
from prevnet.escalation_mail import EscalationMailer, escalation_mail_subscription
from prevnet.mail.sender import SmtpSender
from prevnet.settings import Settings


@dataclass(frozen=True)
class EscalationParts:
    """The round to schedule, and the handlers to subscribe in this order."""

    store: SqlEscalations
    job: EscalationJob
    subscriptions: tuple[Subscription, ...]

    async def run(self) -> None:
        """One round (the scheduler's job)."""
        await self.job.run()


def timers(settings: Settings) -> Timers:
    """The ``[attention]`` minutes."""
    attention = settings.attention
    return Timers(
        attention.ack_minutes_urgent, attention.ack_minutes_normal, attention.moderation_minutes
    )


def escalation_parts(
    settings: Settings,
    db: Database,
    territories: TerritoryRegistry,
    uow: Callable[[], SqlUnitOfWork],
    ledger: SqlBulletinLedger,
    post: Post,
    room_id_of: RoomIdOf,
    alert_of: Callable[[int], Awaitable[Alert | None]],
    member_of: Callable[[str], Awaitable[Member | None]],
    on_duty: OnDuty | None = None,
) -> EscalationParts:
    """Everything escalation needs in ``prevnet up``."""
    store = SqlEscalations(db)
    preferences = SqlNotifyPreferences(db)

    async def bulletin_rooms(alert_id: int) -> Collection[str]:
        return list((await ledger.bulletins(alert_id)).keys())

    async def wanted(members: Sequence[str]) -> Mapping[str, NotifyPreference]:
        return await preferences.get_many(members)

    async def detail_of(alert_id: int, kind: str, level: int) -> Mapping[str, Any] | None:
        step = await store.step(alert_id, kind, level)
        return step.detail if step is not None and step.state == FIRED else None

    rota = SqlDutyRota(db)

    async def duty(scope: str, areas: Sequence[str], at: datetime) -> Sequence[str]:
        return [period.member for period in await rota.on_duty(scope, areas, at)]

    job = EscalationJob(
        store=store,
        uow=uow,
        territories=territories,
        timers=timers(settings),
        timezone=settings.timezone,
        on_duty=on_duty or duty,
        bulletin_rooms=bulletin_rooms,
        preferences=wanted,
        email=settings.email is not None,
    )
    posts = EscalationPosts(
        post,
        detail_of,
        alert_of,
        ledger.bulletins,
        ledger.moderation_notice,
        room_id_of,
        territories,
    )
    subscriptions = [Subscription("matrix-escalations", (EscalationFired,), posts.handle)]
    if settings.email is not None:
        mailer = EscalationMailer(
            SmtpSender(settings.email),
            SqlEmailDeliveries(db),
            detail_of,
            alert_of,
            member_of,
            territories,
        )
        subscriptions.append(escalation_mail_subscription(mailer))
    return EscalationParts(store, job, tuple(subscriptions))
