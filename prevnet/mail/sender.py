"""Outgoing e-mail through the configured SMTP relay: one connection for a whole batch.

Use::

    sender = SmtpSender(settings.email)
    report = await sender.send([message, ...])   # report.sent, report.refused, report.deferred

    async with sender.connection() as relay:      # one connection for several chunks
        report = await relay.send([outgoing_mail(message), ...])

:class:`OutgoingMail` is a mail already written to bytes with its envelope, so a large batch is
flattened once (by :func:`outgoing_mail` or a faster writer of its own) and the relay gets those
bytes as they are. A relay that cannot be reached, or refuses the login, raises
:class:`MailSendError` before any message is lost (the caller retries the batch; through the
outbox that happens by itself). One that disconnects or stalls mid-batch raises it too, naming
the messages it took (``sent``) and the one in flight whose fate is unknown (``unknown``: never
resent, for an operator). A message the relay refuses is reported per Message-ID: ``refused``
for a permanent (5xx) answer, which a retry will not fix, ``deferred`` for a temporary (4xx)
one. Passwords never reach a log.

Errors::

    PrevnetError
    └── MailSendError      the relay is down or refuses us; ``transient`` says if a retry helps
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from typing import TypeVar

import aiosmtplib
from aiosmtplib.email import extract_recipients, extract_sender

from phenomena.errors import PrevnetError
from prevnet.settings import EmailSettings

log = logging.getLogger(__name__)

WIRE_POLICY = SMTP.clone(max_line_length=998, cte_type="7bit")
"""How a mail is written for the relay: CRLF, headers folded only past RFC 5322's limit (so a URL
in one is never encoded), 7-bit so any relay takes it without 8BITMIME."""

_Mail = TypeVar("_Mail")


class MailSendError(PrevnetError):
    """The relay could not take the batch; the message says what to check."""

    def __init__(
        self,
        message: str,
        *,
        transient: bool,
        sent: Sequence[str] = (),
        unknown: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.sent = tuple(sent)  # Message-IDs the relay took before it failed
        # in flight when the connection failed: the relay may have taken it, so never resend
        self.unknown = tuple(unknown)


@dataclass(frozen=True)
class SendReport:
    """What became of each message of a batch, by Message-ID."""

    sent: tuple[str, ...] = ()
    refused: dict[str, str] = field(default_factory=dict)  # permanent: do not retry
    deferred: dict[str, str] = field(default_factory=dict)  # temporary: retry later

    @property
    def complete(self) -> bool:
        """Whether every message was accepted by the relay."""
        return not self.refused and not self.deferred


@dataclass(frozen=True)
class OutgoingMail:
    """One mail as the relay gets it: its Message-ID, envelope and bytes (CRLF, 7-bit)."""

    message_id: str
    mail_from: str
    recipients: tuple[str, ...]
    content: bytes


def outgoing_mail(message: EmailMessage) -> OutgoingMail:
    """``message`` written once for the relay, its envelope taken from its headers (``Bcc`` left
    out of the bytes); ValueError (or ``email.errors.MessageError``) if a header cannot be
    written, e.g. a line break in a name."""
    sender = extract_sender(message)
    recipients = tuple(extract_recipients(message))
    if sender is None or not recipients or message["Message-ID"] is None:
        raise ValueError("a mail needs a From, a To and a Message-ID header")
    if message["Bcc"] is not None:  # the envelope has them; the bytes must not
        message = copy.copy(message)
        del message["Bcc"]
    return OutgoingMail(
        str(message["Message-ID"]), sender, recipients, message.as_bytes(policy=WIRE_POLICY)
    )


class SmtpConnection:
    """One open connection to the relay; :meth:`send` may be called for several chunks."""

    def __init__(self, client: aiosmtplib.SMTP, where: str) -> None:
        self._client = client
        self._where = where

    async def send(self, mails: Sequence[OutgoingMail]) -> SendReport:
        """Hand each mail's bytes to the relay as they are."""
        client = self._client

        async def one(mail: OutgoingMail) -> tuple[dict[str, aiosmtplib.SMTPResponse], str]:
            return await client.sendmail(mail.mail_from, list(mail.recipients), mail.content)

        return await self._each(mails, lambda mail: mail.message_id, one)

    async def send_messages(self, messages: Sequence[EmailMessage]) -> SendReport:
        """Send messages as aiosmtplib writes them (8BITMIME or SMTPUTF8 where they need it)."""
        return await self._each(messages, lambda m: str(m["Message-ID"]), self._client.send_message)

    async def _each(
        self,
        mails: Sequence[_Mail],
        id_of: Callable[[_Mail], str],
        send_one: Callable[[_Mail], Awaitable[tuple[dict[str, aiosmtplib.SMTPResponse], str]]],
    ) -> SendReport:
        client, where = self._client, self._where
        sent: list[str] = []
        refused: dict[str, str] = {}
        deferred: dict[str, str] = {}
        for mail in mails:
            message_id = id_of(mail)
            if not client.is_connected:  # it hung up after refusing one (e.g. 421)
                raise MailSendError(
                    f"the SMTP relay {where} closed the connection after {len(sent)} "
                    "message(s); the rest will be retried",
                    transient=True,
                    sent=sent,
                )
            try:
                errors, _ = await send_one(mail)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                codes = [r.code for r in exc.recipients]
                reason = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
                target = deferred if codes and all(400 <= c < 500 for c in codes) else refused
                target[message_id] = reason
                continue
            except aiosmtplib.SMTPResponseException as exc:
                (deferred if 400 <= exc.code < 500 else refused)[message_id] = (
                    f"{exc.code} {exc.message}"
                )
                continue
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                # disconnect, timeout, broken pipe: whether the relay took this one is unknown
                raise MailSendError(
                    f"the SMTP relay {where} failed mid-batch ({type(exc).__name__}: {exc}) "
                    f"after {len(sent)} message(s); {message_id} may or may not have gone "
                    "out and is not sent again, the rest will be retried",
                    transient=True,
                    sent=sent,
                    unknown=[message_id],
                ) from None
            if errors:
                refused[message_id] = "; ".join(
                    f"{rcpt}: {answer.code} {answer.message}" for rcpt, answer in errors.items()
                )
            sent.append(message_id)
        if refused or deferred:
            log.warning(
                "SMTP relay %s: %d sent, %d refused, %d deferred",
                where,
                len(sent),
                len(refused),
                len(deferred),
            )
        return SendReport(tuple(sent), refused, deferred)


class SmtpSender:
    """Sends batches of messages through the ``[email]`` relay."""

    def __init__(self, settings: EmailSettings) -> None:
        self._settings = settings

    @property
    def from_address(self) -> str:
        """The sender address messages should carry in ``From``."""
        return self._settings.from_address

    @property
    def domain(self) -> str:
        """The domain of the sender address, for the Message-IDs prevnet derives itself."""
        return self._settings.from_address.rpartition("@")[2].strip(" >") or "prevnet"

    def _client(self) -> aiosmtplib.SMTP:
        s = self._settings
        implicit_tls = s.smtp_port == 465 and not s.smtp_starttls
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=implicit_tls,
            start_tls=s.smtp_starttls if not implicit_tls else False,
            username=s.smtp_username,
            password=s.smtp_password,
            timeout=s.timeout_seconds,
        )

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[SmtpConnection]:
        """One connection to the relay, logged in, closed after; MailSendError (nothing sent)
        if it cannot be opened."""
        where = f"{self._settings.smtp_host}:{self._settings.smtp_port}"
        client = self._client()
        try:
            await client.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise MailSendError(
                f"the SMTP relay {where} refused the login ({exc.code}): check [email] "
                "smtp_username and smtp_password",
                transient=False,
            ) from None
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError) as exc:
            raise MailSendError(
                f"could not reach the SMTP relay {where} ({exc}). Check that it is up and that "
                "[email] smtp_host and smtp_port point to it; nothing was sent",
                transient=True,
            ) from None
        except aiosmtplib.SMTPException as exc:
            raise MailSendError(
                f"could not send through the SMTP relay {where}: {exc}. Check that it is up and "
                "that [email] smtp_host, smtp_port and smtp_starttls match it; nothing was sent",
                transient=True,
            ) from None
        except OSError as exc:
            raise MailSendError(
                f"could not reach the SMTP relay {where}: {exc.strerror or exc}. Check that it "
                "is up and that [email] smtp_host and smtp_port point to it; nothing was sent",
                transient=True,
            ) from None
        try:
            yield SmtpConnection(client, where)
        finally:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError, TimeoutError):
                    client.close()

    async def send(self, messages: Sequence[EmailMessage]) -> SendReport:
        """Send every message over one connection; a message without Message-ID gets one."""
        if not messages:
            return SendReport()
        domain = self._settings.from_address.rpartition("@")[2].strip(" >") or None
        for message in messages:
            if message["Message-ID"] is None:
                message["Message-ID"] = make_msgid("prevnet", domain=domain)
            if message["From"] is None:
                message["From"] = self._settings.from_address
        async with self.connection() as relay:
            return await relay.send_messages(messages)
