"""Bulletin e-mails in a running prevnet: built from ``[email]``, or not at all without it.

:func:`bulletin_mail_dispatcher` gives the dispatcher of the ``email`` outbox consumer (None
without ``[email]``: the consumer is then not even registered, and nothing is sent). It reads
its own copy of every event committed after its first start, so the relay being down delays
bulletin e-mails only, never a Matrix message.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from aiohttp import web

from phenomena.alert import Alert
from phenomena.storage.bulletins import SqlBulletinLedger
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.notify_prefs import SqlNotifyPreferences
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork, utc_now
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Dispatcher, Subscription
from prevnet.mail.bulletin_delivery import (
    MAIL_CONSUMER,
    MAIL_EVENTS,
    MAIL_HANDLER,
    BulletinMailer,
    ChatLinkOf,
    ChosenLanguages,
    Sender,
    SourceOf,
)
from prevnet.mail.bulletin_links import add_bulletin_mail_pages
from prevnet.mail.bulletin_mail import ChatLink, MailSetup
from prevnet.mail.sender import SmtpSender
from prevnet.mail.signing import MailSigner
from prevnet.settings import EmailSettings, Settings

log = logging.getLogger(__name__)

SECRET_FILE = "email-secret"  # noqa: S105 - a file name; in the data directory, when [email] gives no secret


def mail_signer(email: EmailSettings, data_dir: Path) -> MailSigner:
    """The signer of mail links: ``[email] secret``, else one made once in the data directory.

    Instances that share a database must share the secret: set ``secret`` (or
    ``PREVNET_EMAIL_SECRET``) for them.
    """
    if email.secret:
        return MailSigner(email.secret.encode())
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return MailSigner(path.read_text().strip().encode())


def mail_setup(settings: Settings, email: EmailSettings, signer: MailSigner) -> MailSetup:
    """Where bulletin mails come from and point to; replies go to ``reply_domain`` (else the
    sender's domain)."""
    domain = email.from_address.rpartition("@")[2].strip(" >")
    return MailSetup(
        from_address=email.from_address,
        reply_domain=email.reply_domain or domain,
        public_url=settings.pages_url,
        signer=signer,
    )


def chat_links(
    ledger: SqlBulletinLedger, room_id_of: Callable[[str], Awaitable[str | None]]
) -> ChatLinkOf:
    """The link to a bulletin in Matrix: its event once posted, else its room."""

    async def link(alert: Alert, room: str) -> ChatLink:
        record = (await ledger.bulletins(alert.id)).get(room)
        if record is not None:
            return ChatLink(record.room_id, record.event_id)
        room_id = await room_id_of(room)
        if room_id is None:
            raise LookupError(f"{alert.ref}: the room {room} is not made yet; mailed later")
        return ChatLink(room_id)

    return link


def chosen_languages(db: Database) -> ChosenLanguages:
    """The languages members chose with ``!prefs language``, read for many in one query."""
    preferences = SqlNotifyPreferences(db)

    async def chosen(members: Sequence[str]) -> Mapping[str, str | None]:
        found = await preferences.get_many(members)
        return {member: preference.language for member, preference in found.items()}

    return chosen


def bulletin_mail_subscription(mailer: BulletinMailer) -> Subscription:
    """Send bulletin e-mails as alerts are published, updated, closed and expire."""
    return Subscription(MAIL_HANDLER, MAIL_EVENTS, mailer.handle)


async def bulletin_mail_dispatcher(
    settings: Settings,
    db: Database,
    territories: TerritoryRegistry,
    chat_link: ChatLinkOf,
    source_of: SourceOf,
    *,
    worker: str,
    sender: Sender | None = None,
    deliveries: SqlEmailDeliveries | None = None,
    on_failure: Callable[[str], None] | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Dispatcher | None:
    """The ``email`` consumer's dispatcher, registered; None (nothing registered) without
    ``[email]``. Run it with ``dispatcher.run(stop)`` beside the others.

    ``worker`` names this process's claims and must stay the same across its restarts and
    differ between instances (``prevnet up`` uses its bot device: ``email-<device>``).
    """
    email = settings.email
    if email is None:
        log.info("no [email] settings: bulletins are not sent by e-mail")
        return None
    setup = mail_setup(settings, email, mail_signer(email, settings.data_dir.resolve()))
    outbox = Outbox(db, worker, clock, consumer=MAIL_CONSUMER)
    if await outbox.register():
        log.info("bulletin e-mails: every alert event committed from here on is mailed")
    mailer = BulletinMailer(
        lambda: SqlUnitOfWork(db.sessions, clock),
        deliveries or SqlEmailDeliveries(db, clock),
        sender or SmtpSender(email),
        setup,
        territories,
        chat_link,
        source_of,
        languages=chosen_languages(db),
    )
    return Dispatcher(
        outbox,
        [bulletin_mail_subscription(mailer)],
        clock=clock,
        on_failure=on_failure,
        retry_base=settings.retry_seconds,
        max_attempts=settings.outbox_max_attempts,
    )


def add_bulletin_mail_routes(
    app: web.Application,
    settings: Settings,
    db: Database,
    territories: TerritoryRegistry,
    ledger: SqlBulletinLedger,
) -> bool:
    """Serve the bulletin e-mails' acknowledge and unsubscribe pages on ``app`` (the pages'
    server, at ``public_url``); False, and nothing served, without ``[email]``."""
    email = settings.email
    if email is None:
        return False
    add_bulletin_mail_pages(
        app,
        mail_signer(email, settings.data_dir.resolve()),
        lambda: SqlUnitOfWork(db.sessions),
        ledger,
        SqlEmailDeliveries(db),
        territories,
    )
    return True
