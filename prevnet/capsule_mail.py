"""A published capsule e-mailed to its commune's BIN/PLP coordinators, ready to pass on to
residents: the text in each language, with both image cards, the poster and (when detection
proposed the alert) the cocoon letter attached, and a link to unsubscribe.

Coordinators are not members: their addresses come from the partner file (``coordinators:`` of
the commune's prevention service); one who unsubscribed (``List-Unsubscribe``, RFC 8058 one
click, or the link in the text) gets no further capsule mail. Each mail is claimed under a
Message-ID of the capsule and the address before it is sent (``SqlEmailDeliveries``), so a
retried event mails nobody twice; a relay that is down raises, and the outbox retries the mails
not sent yet.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable
from email.message import EmailMessage

from phenomena.audience import municipalities_of
from phenomena.capsules.capsule import PUBLIC_TLPS
from phenomena.capsules.files import CapsuleFiles, FilesOf
from phenomena.capsules.service import CapsuleRecord
from phenomena.capsules.wording import Wording
from phenomena.events import CapsulePublished, Event
from phenomena.partners import Organisation, OrganisationKind
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Subscription
from prevnet.mail.bulletin_mail import finish_list_mail
from prevnet.mail.sender import MailSendError, SmtpSender

log = logging.getLogger(__name__)

KIND = "capsule"
CapsuleOf = Callable[[int], Awaitable[CapsuleRecord | None]]
OrganisationsOf = Callable[[], Awaitable[Iterable[Organisation]]]
OptedOut = Callable[[Collection[str]], Awaitable[set[str]]]
"""Those of the addresses that unsubscribed (``SqlCapsules.opted_out``)."""
UnsubscribeUrl = Callable[[int, str, str], str]
"""The signed unsubscribe link of (capsule, address, language)."""


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


def capsule_mail(record: CapsuleRecord, files: CapsuleFiles, unsubscribe: str) -> EmailMessage:
    """The mail: each language's title, post and link, with its files attached (``files`` per
    language) and the ``unsubscribe`` link in the text, in each language."""
    first = record.capsules[0]
    message = EmailMessage()
    message["Subject"] = f"[prevnet] {first.title} ({first.commune}, {record.ref})"
    parts = []
    for capsule in record.capsules:
        parts.append(
            "\n\n".join([f"[{capsule.language}] {capsule.title}", capsule.long, capsule.hashtags])
        )
    said = [(Wording(c.language), c.commune) for c in record.capsules]
    passed = (w("mail-pass-on", ref=record.ref, commune=commune) for w, commune in said)
    parts.append("\n".join(dict.fromkeys(passed)))
    stop = "\n".join(dict.fromkeys(w("mail-unsubscribe", link=unsubscribe) for w, _ in said))
    message.set_content("\n\n-----\n\n".join(parts) + f"\n\n-- \n{stop}\n")
    for capsule in record.capsules:
        for file in files.get(capsule.language, ()):
            main, _, sub = file.mimetype.partition("/")
            message.add_attachment(file.data, main, sub, filename=file.name)
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
        files: FilesOf,
        opted_out: OptedOut,
        unsubscribe_url: UnsubscribeUrl,
    ) -> None:
        self._sender = sender
        self._deliveries = deliveries
        self._capsule_of = capsule_of
        self._organisations = organisations
        self._territories = territories
        self._files = files
        self._opted_out = opted_out
        self._unsubscribe_url = unsubscribe_url
        self._domain = sender.domain

    async def handle(self, event: Event) -> None:
        """Mail each coordinator of the commune once, unless they unsubscribed."""
        if not isinstance(event, CapsulePublished):
            return
        record = await self._capsule_of(event.capsule_id)
        if record is None or any(c.tlp not in PUBLIC_TLPS for c in record.capsules):
            return  # its alert is no longer CLEAR or GREEN: residents get nothing
        addresses = coordinators_of(
            record.municipality, await self._organisations(), self._territories
        )
        stopped = await self._opted_out(addresses)
        deferred = False
        files: CapsuleFiles = {}
        for address in [a for a in addresses if a not in stopped]:
            message_id = capsule_message_id(record.id, address, self._domain)
            if not await self._deliveries.claim(message_id, address, KIND, record.alert_id):
                continue  # sent already, or in flight
            if not files:  # rendered once per round, off the event loop
                files = await self._files(record)
            unsubscribe = self._unsubscribe_url(record.id, address, record.capsules[0].language)
            message = capsule_mail(record, files, unsubscribe)
            message["From"] = self._sender.from_address
            message["To"] = address
            message["Message-ID"] = message_id
            finish_list_mail(message, f"prevnet capsules <capsules.{self._domain}>", unsubscribe)
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


def capsule_mail_subscription(mailer: CapsuleMailer) -> Subscription:
    """E-mail published capsules to the BIN/PLP coordinators (only with ``[email]``)."""
    return Subscription("email-capsules", (CapsulePublished,), mailer.handle)
