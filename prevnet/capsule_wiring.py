"""Citizen capsules wired into a process: the commands' desk, the outbox handlers that post
them in the zone room and mail them to coordinators, the weekly job, and the public feed.

``prevnet up`` builds these with ``capsule_parts``; tests build them the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import nio
from aiohttp import web

from bots.alert_desk import AlertDesk
from bots.capsule_commands import CapsuleDesk
from bots.capsule_post import CapsulePosts
from bots.report_post import Post
from phenomena.events import CapsulePublished
from phenomena.partners import Organisation
from phenomena.storage.capsules import SqlCapsules
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.territory import TerritoryRegistry
from prevnet.capsule_feed import add_capsule_feed, card_png
from prevnet.capsule_mail import CapsuleMailer, capsule_mail_subscription
from prevnet.capsule_media.printed import render_poster
from prevnet.dispatch import Subscription
from prevnet.mail.sender import SmtpSender
from prevnet.settings import Settings


@dataclass(frozen=True)
class CapsuleParts:
    """The commands' desk, the handlers to subscribe, and the job publishing waiting capsules."""

    store: SqlCapsules
    desk: CapsuleDesk
    subscriptions: tuple[Subscription, ...]
    publish_due: Callable[[], Awaitable[None]]

    def add_routes(self, app: web.Application, territories: TerritoryRegistry, url: str) -> None:
        """Serve the public feeds on the pages' server."""
        add_capsule_feed(app, self.store, territories, url)


def capsule_parts(
    settings: Settings,
    db: Database,
    alerts: AlertDesk,
    clock: Callable[[], datetime],
    wake: Callable[[], None],
    client: nio.AsyncClient,
    post: Post,
    room_id_of: Callable[[str], Awaitable[str | None]],
) -> CapsuleParts:
    """Everything capsules need in ``prevnet up``; the e-mail handler only with ``[email]``."""
    store = SqlCapsules(db, after_commit=wake)
    per_week = settings.capsules.capsules_per_week
    desk = CapsuleDesk(alerts, store, per_week, settings.timezone, clock)
    territories = alerts.territories
    posts = CapsulePosts(client, post, room_id_of, store.get, territories, card_png, render_poster)
    subscriptions = [Subscription("matrix-capsules", (CapsulePublished,), posts.handle)]
    if settings.email is not None:

        async def organisations() -> Iterable[Organisation]:
            return (await alerts.registry())[1].values()

        mailer = CapsuleMailer(
            SmtpSender(settings.email),
            SqlEmailDeliveries(db),
            store.get,
            organisations,
            territories,
            card_png,
            render_poster,
        )
        subscriptions.append(capsule_mail_subscription(mailer))

    async def publish_due() -> None:
        await store.publish_due(clock(), per_week, settings.timezone)

    return CapsuleParts(store, desk, tuple(subscriptions), publish_due)
