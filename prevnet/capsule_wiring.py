"""Citizen capsules wired into a process: the commands' desk, the outbox handlers that post
them in the zone room and mail them to coordinators, the weekly job, the public feed, and the
coordinators' unsubscribe page.

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
from bots.capsule_post import CapsulePosts, file_content
from bots.report_post import Post
from phenomena.capsules.files import CapsuleFile
from phenomena.capsules.said import said
from phenomena.detection.records import DetectionRecord
from phenomena.errors import InvalidValue
from phenomena.events import CapsulePublished
from phenomena.partners import Organisation
from phenomena.storage.capsules import SqlCapsules
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.notify_prefs import SqlNotifyPreferences
from phenomena.territory import TerritoryRegistry
from prevnet.capsule_feed import add_capsule_feed
from prevnet.capsule_files import CapsuleRenderer, letter_file
from prevnet.capsule_mail import CapsuleMailer, capsule_mail_subscription
from prevnet.capsule_unsubscribe import add_capsule_unsubscribe_routes, unsubscribe_url
from prevnet.dispatch import Subscription
from prevnet.mail.bulletin_wiring import mail_signer
from prevnet.mail.sender import SmtpSender
from prevnet.mail.signing import MailSigner
from prevnet.settings import Settings


@dataclass(frozen=True)
class CapsuleParts:
    """The commands' desk, the handlers to subscribe, and the job publishing waiting capsules."""

    store: SqlCapsules
    desk: CapsuleDesk
    subscriptions: tuple[Subscription, ...]
    publish_due: Callable[[], Awaitable[None]]
    signer: MailSigner | None = None
    clock: Callable[[], datetime] | None = None

    def add_routes(self, app: web.Application, territories: TerritoryRegistry, url: str) -> None:
        """Serve the public feeds on the pages' server, and with ``[email]`` the coordinators'
        unsubscribe page."""
        add_capsule_feed(app, self.store, territories, url)
        if self.signer is not None and self.clock is not None:
            add_capsule_unsubscribe_routes(app, self.signer, self.store.opt_out, self.clock)


def capsule_parts(
    settings: Settings,
    db: Database,
    alerts: AlertDesk,
    clock: Callable[[], datetime],
    wake: Callable[[], None],
    client: nio.AsyncClient,
    post: Post,
    room_id_of: Callable[[str], Awaitable[str | None]],
    direct_room: Callable[[str], Awaitable[str]] | None = None,
) -> CapsuleParts:
    """Everything capsules need in ``prevnet up``; the e-mail handler only with ``[email]``.

    ``direct_room`` finds a member's direct chat, where ``!capsule letter`` puts the letter.
    """
    store = SqlCapsules(db, after_commit=wake)
    per_week = settings.capsules.capsules_per_week

    async def detection_of(alert_id: int) -> DetectionRecord | None:
        async with alerts.uow(None) as unit:
            return await unit.detections.get(alert_id)

    async def send_file(matrix_id: str, file: CapsuleFile) -> None:
        room = await direct_room(matrix_id) if direct_room is not None else None
        if room is None or room not in client.rooms:
            raise said(
                InvalidValue,
                "our direct chat is not open yet: answer there once it is, then ask again",
            )
        await post(room, await file_content(client, file))

    choices = SqlNotifyPreferences(db)

    async def language_of(matrix_id: str) -> str | None:  # a direct chat: the member's choice
        return (await choices.get(matrix_id)).language

    desk = CapsuleDesk(
        alerts,
        store,
        per_week,
        settings.timezone,
        clock,
        letter_of=letter_file,
        send_file=send_file,
        language_of=language_of,
    )
    territories = alerts.territories
    render = CapsuleRenderer(detection_of)
    posts = CapsulePosts(client, post, room_id_of, store.get, territories, render)
    subscriptions = [Subscription("matrix-capsules", (CapsulePublished,), posts.handle)]
    signer = None
    if settings.email is not None:
        signer = mail_signer(settings.email, settings.data_dir.resolve())
        links = signer

        async def organisations() -> Iterable[Organisation]:
            return (await alerts.registry())[1].values()

        mailer = CapsuleMailer(
            SmtpSender(settings.email),
            SqlEmailDeliveries(db),
            store.get,
            organisations,
            territories,
            render,
            store.opted_out,
            lambda capsule_id, address, language: unsubscribe_url(
                links, settings.pages_url, capsule_id, address, language
            ),
        )
        subscriptions.append(capsule_mail_subscription(mailer))

    async def publish_due() -> None:
        await store.publish_due(clock(), per_week, settings.timezone)

    return CapsuleParts(store, desk, tuple(subscriptions), publish_due, signer, clock)
