"""A published capsule e-mailed to its commune's BIN/PLP coordinators, ready to pass on to
residents: the text in each language, the image card and the poster attached.

Coordinators are not members: their addresses come from the partner file (``coordinators:`` of
the commune's prevention service). Each mail is claimed under a Message-ID of the capsule and
the address before it is sent (``SqlEmailDeliveries``), so a retried event mails nobody twice;
a relay that is down raises, and the outbox retries the mails not sent yet.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from email.message import EmailMessage

from phenomena.audience import municipalities_of
from phenomena.capsules.capsule import PUBLIC_TLPS, Capsule
from phenomena.capsules.service import CapsuleRecord
from phenomena.events import CapsulePublished, Event
from phenomena.partners import Organisation, OrganisationKind
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Subscription
from prevnet.mail.sender import MailSendError, SmtpSender

log = logging.getLogger(__name__)

KIND = "capsule"
CapsuleOf = Callable[[int], Awaitable[CapsuleRecord | None]]
OrganisationsOf = Callable[[], Awaitable[Iterable[Organisation]]]
Render = Callable[[Capsule], bytes]


class MailNotTaken(ConnectionError):
    """The relay deferred a capsule mail: the event is retried (``transient``)."""

    transient = True


def capsule_message_id(capsule_id: int, address: str, domain: str) -> str:
    """The Message-ID of a capsule's mail to one coordinator: the same on every retry."""
    digest = hashlib.sha256(address.lower().encode()).hexdigest()[:16]
    return f"<capsule-{capsule_id}-{digest}@{domain}>"


def coordinators_of(
    nis: str, organisations: Iterable[Organisation], territories: TerritoryRegistry
) -> list[str]:
    """The BIN/PLP coordinators of the commune's prevention services, each address once."""
    found: list[str] = []
    for org in organisations:
        if org.kind is OrganisationKind.COMMUNE and nis in municipalities_of(org, territories):
            found += [a for a in org.coordinators if a not in found]
    return found


def capsule_mail(record: CapsuleRecord, files: Mapping[str, tuple[bytes, bytes]]) -> EmailMessage:
    """The mail: each language's title, post and link, with its card and poster attached
    (``files``: the PNG card and the PDF poster per language)."""
    first = record.capsules[0]
    message = EmailMessage()
    message["Subject"] = f"[prevnet] {first.title} ({first.commune}, {record.ref})"
    parts = []
    for capsule in record.capsules:
        parts.append(
            "\n\n".join([f"[{capsule.language}] {capsule.title}", capsule.long, capsule.hashtags])
        )
    parts.append(
        f"Capsule {record.ref}, approved for residents of {first.commune}: pass it on as it is. "
        "The image card and the A4 poster are attached."
    )
    message.set_content("\n\n-----\n\n".join(parts))
    for capsule in record.capsules:
        name = f"capsule-{record.id}-{capsule.language}"
        card, poster = files[capsule.language]
        message.add_attachment(card, "image", "png", filename=f"{name}.png")
        message.add_attachment(poster, "application", "pdf", filename=f"{name}.pdf")
    return message


class CapsuleMailer:
    """Outbox handler of :class:`CapsulePublished` (subscription ``email-capsules``)."""

    def __init__(
        self,
        sender: SmtpSender,
        deliveries: SqlEmailDeliveries,
        capsule_of: CapsuleOf,
        organisations: OrganisationsOf,
        territories: TerritoryRegistry,
        card: Render,
        poster: Render,
    ) -> None:
        self._sender = sender
        self._deliveries = deliveries
        self._capsule_of = capsule_of
        self._organisations = organisations
        self._territories = territories
        self._card = card
        self._poster = poster
        self._domain = sender.domain

    async def handle(self, event: Event) -> None:
        """Mail each coordinator of the commune once."""
        if not isinstance(event, CapsulePublished):
            return
        record = await self._capsule_of(event.capsule_id)
        if record is None or any(c.tlp not in PUBLIC_TLPS for c in record.capsules):
            return  # its alert is no longer CLEAR or GREEN: residents get nothing
        addresses = coordinators_of(
            record.municipality, await self._organisations(), self._territories
        )
        deferred = False
        files: dict[str, tuple[bytes, bytes]] = {}
        for address in addresses:
            message_id = capsule_message_id(record.id, address, self._domain)
            if not await self._deliveries.claim(message_id, address, KIND, record.alert_id):
                continue  # sent already, or in flight
            if not files:  # rendered once, off the event loop (the PDF takes up to a second)
                files = await asyncio.to_thread(self._render, record)
            message = capsule_mail(record, files)
            message["From"] = self._sender.from_address
            message["To"] = address
            message["Message-ID"] = message_id
            try:
                report = await self._sender.send([message])
            except MailSendError as exc:
                await self._deliveries.mark_retry(message_id, type(exc).__name__)
                raise
            if message_id in report.sent:
                await self._deliveries.mark_sent(message_id)
            elif message_id in report.deferred:
                await self._deliveries.mark_retry(message_id, "deferred by the relay")
                deferred = True
            else:
                await self._deliveries.mark_unknown(message_id, "refused by the relay")
                log.warning("the relay refused the mail of %s to a coordinator", record.ref)
        if deferred:
            raise MailNotTaken(f"{record.ref}: the relay deferred a capsule mail; retrying")

    def _render(self, record: CapsuleRecord) -> dict[str, tuple[bytes, bytes]]:
        return {c.language: (self._card(c), self._poster(c)) for c in record.capsules}


def capsule_mail_subscription(mailer: CapsuleMailer) -> Subscription:
    """E-mail published capsules to the BIN/PLP coordinators (only with ``[email]``)."""
    return Subscription("email-capsules", (CapsulePublished,), mailer.handle)
