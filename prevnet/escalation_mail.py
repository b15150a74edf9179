"""Escalation e-mails: after the mention, the on-duty members a step called get a mail.

The mail follows the e-mail TLP rule (``phenomena.escalation.escalation_mail_share``): CLEAR
and GREEN carry the summary; AMBER, AMBER+STRICT and RED only the reference, the label and the
rooms to look in, never a word of the text. It goes to members the step found entitled to read
the alert, whatever they chose for bulletin e-mails: being on duty is the choice. Quiet hours
were applied when the step fired (``detail["email"]["held"]``).

Each mail is claimed under a Message-ID derived from the step and the member before it is sent
(``SqlEmailDeliveries``), so a retried event never mails anyone twice; a relay that is down
raises, and the outbox retries the mails not sent yet.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from email.message import EmailMessage
from typing import Any

from bots.i18n import Labels
from phenomena.alert import Alert
from phenomena.email_policy import EmailShare
from phenomena.escalation import ACK, EscalationFired, escalation_mail_share
from phenomena.events import Event
from phenomena.partners import Member
from phenomena.rooms import room_languages
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Subscription
from prevnet.mail.sender import MailSendError, SmtpSender

log = logging.getLogger(__name__)

DetailOf = Callable[[int, str, int], Awaitable[Mapping[str, Any] | None]]
AlertOf = Callable[[int], Awaitable[Alert | None]]
MemberOf = Callable[[str], Awaitable[Member | None]]
KIND = "escalation"


class MailNotTaken(ConnectionError):
    """The relay deferred an escalation mail: the event is retried (``transient``)."""

    transient = True


def escalation_message_id(alert_id: int, level: int, member: str, domain: str) -> str:
    """The Message-ID of a step's mail to a member: the same on every retry."""
    digest = hashlib.sha256(member.encode()).hexdigest()[:16]
    return f"<escalation-{alert_id}-{level}-{digest}@{domain}>"


def escalation_mail(
    alert: Alert,
    member: Member,
    rooms: list[str],
    after: str,
    territories: TerritoryRegistry,
) -> tuple[str, str]:
    """The subject and text of an escalation mail, in the language of the member's first room."""
    label = Labels(room_languages(rooms[0], territories) if rooms else ())
    share = escalation_mail_share(alert)
    subject = label("[prevnet] {ref}: not acknowledged after {after}", ref=alert.ref, after=after)
    lines = [
        label(
            "{ref} ({tlp}) has not been acknowledged by any routed organisation after {after}. "
            "You are on duty: open it in Matrix and react to its bulletin to acknowledge it.",
            ref=alert.ref,
            tlp=alert.content.tlp.label,
            after=after,
        ),
        "",
        label("Rooms: {rooms}", rooms=", ".join(rooms)),
    ]
    if share is EmailShare.FULL:
        lines += ["", alert.content.summary]
    else:
        lines += ["", label("Its label keeps its text in Matrix.")]
    return subject, "\n".join(lines)


class EscalationMailer:
    """Outbox handler of :class:`EscalationFired` (subscription ``email-escalations``)."""

    def __init__(
        self,
        sender: SmtpSender,
        deliveries: SqlEmailDeliveries,
        detail_of: DetailOf,
        alert_of: AlertOf,
        member_of: MemberOf,
        territories: TerritoryRegistry,
    ) -> None:
        self._sender = sender
        self._deliveries = deliveries
        self._detail_of = detail_of
        self._alert_of = alert_of
        self._member_of = member_of
        self._territories = territories
        self._domain = sender.domain

    async def handle(self, event: Event) -> None:
        """Mail each member the step chose to mail, once."""
        if not isinstance(event, EscalationFired) or event.kind != ACK:
            return
        detail = await self._detail_of(event.alert_id, event.kind, event.level)
        alert = await self._alert_of(event.alert_id)
        if detail is None or alert is None or not detail.get("email"):
            return
        rooms_of: dict[str, list[str]] = {}
        for room, calls in sorted((detail.get("rooms") or {}).items()):
            for member in calls.get("mentioned") or []:
                rooms_of.setdefault(member, []).append(room)
        deferred = False
        for matrix_id in detail["email"].get("to") or []:
            member = await self._member_of(matrix_id)
            if member is None or not member.is_active or not member.email:
                continue
            message_id = escalation_message_id(alert.id, event.level, matrix_id, self._domain)
            if not await self._deliveries.claim(message_id, matrix_id, KIND, alert.id):
                continue  # sent already, or in flight
            subject, text = escalation_mail(
                alert,
                member,
                rooms_of.get(matrix_id, []),
                str(detail.get("after", "")),
                self._territories,
            )
            message = EmailMessage()
            message["From"] = self._sender.from_address
            message["To"] = member.email
            message["Subject"] = subject
            message["Message-ID"] = message_id
            message.set_content(text)
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
                log.warning(
                    "the relay refused the escalation mail of %s to %s", alert.ref, matrix_id
                )
        if deferred:
            raise MailNotTaken(f"{alert.ref}: the relay deferred an escalation mail; retrying")


def escalation_mail_subscription(mailer: EscalationMailer) -> Subscription:
    """E-mail the on-duty members after their mention (only with ``[email]``)."""
    return Subscription("email-escalations", (EscalationFired,), mailer.handle)
