"""An alert bulletin as one member's e-mail: the one place that decides what may leave Matrix.

Every bulletin e-mail is made by :func:`bulletin_template`, which asks the TLP rule of
:mod:`phenomena.email_policy` first: CLEAR and GREEN in full, AMBER as a notice without its text,
AMBER+STRICT and RED not at all (None). Headers make mail clients thread an alert's published,
updated and closing mails, and let the member reply, acknowledge or unsubscribe in one click.
"""

from __future__ import annotations

import html
import re
import secrets
import sys
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime
from urllib.parse import quote

from bots.i18n import Labels
from phenomena.alert import Alert, AlertStatus
from phenomena.email_address import mail_address
from phenomena.email_policy import EmailShare, email_share
from phenomena.territory import TerritoryRegistry
from prevnet.mail.list_mail import finish_list_mail as finish_list_mail  # capsule mails' import
from prevnet.mail.list_mail import list_headers
from prevnet.mail.mail_texts import mail_text
from prevnet.mail.quoted_printable import QuotedPrintable
from prevnet.mail.sender import WIRE_POLICY, OutgoingMail
from prevnet.mail.signing import MailSigner, Purpose

ACK_PATH = "/mail/ack"
UNSUBSCRIBE_PATH = "/mail/unsubscribe"
_SUBJECT_AREA_NAMES = 3
MAX_LINE_LENGTH = 998  # RFC 5322's limit
MAIL_POLICY = default.clone(max_line_length=MAX_LINE_LENGTH)
"""Headers are folded only past RFC 5322's limit, so URLs in them are never encoded."""
_MAILED = (AlertStatus.PUBLISHED, AlertStatus.UPDATED, AlertStatus.CLOSED, AlertStatus.EXPIRED)
REPLY_GRACE = timedelta(days=30)  # a reply address works this long after the alert's period
_NO_REPLIES = (AlertStatus.CLOSED, AlertStatus.EXPIRED)


@dataclass(frozen=True)
class MailSetup:
    """Where bulletin mails come from and point to (filled from ``[email]`` by the caller)."""

    from_address: str
    reply_domain: str
    public_url: str
    """Base URL members' browsers reach prevnet's pages at, e.g. ``https://prevnet.example``."""
    signer: MailSigner

    @property
    def domain(self) -> str:
        """The domain of the sender address: Message-IDs and the List-Id live under it."""
        return self.from_address.rpartition("@")[2].strip(">").lower()


@dataclass(frozen=True)
class MailRecipient:
    """One member who chose bulletins by e-mail."""

    member_id: str
    address: str
    language: str


@dataclass(frozen=True)
class ChatLink:
    """Where the bulletin is in Matrix, for the link that opens it there."""

    room_id: str
    event_id: str | None = None

    @property
    def url(self) -> str:
        """A matrix.to link to the bulletin (or its room), which every Matrix client opens."""
        target = quote(self.room_id, safe="!:")
        if self.event_id:
            target += "/" + quote(self.event_id, safe="$:")
        return f"https://matrix.to/#/{target}"


def message_id(setup: MailSetup, alert: Alert, member_id: str) -> str:
    """The Message-ID of this mail: derived from (alert, member) and the alert's state only.

    The published mail is the thread's root; each update has its version, the closing (or
    expiry) its own. Sending the same state twice gives the same ID, which the outbox records.
    """
    tag = setup.signer.mac(Purpose.MESSAGE_ID, alert.id, member_id)[:20]
    if alert.status in (AlertStatus.CLOSED, AlertStatus.EXPIRED):
        state = "end."
    elif alert.status is AlertStatus.UPDATED:
        state = f"v{alert.version}."
    else:
        state = ""
    return f"<alert-{alert.id}.{state}{tag}@{setup.domain}>"


def root_message_id(setup: MailSetup, alert_id: int, member_id: str) -> str:
    """The Message-ID of an alert's first (published) mail to a member: what replies thread on."""
    tag = setup.signer.mac(Purpose.MESSAGE_ID, alert_id, member_id)[:20]
    return f"<alert-{alert_id}.{tag}@{setup.domain}>"


def ack_url(setup: MailSetup, alert_id: int, member_id: str, language: str) -> str:
    """The signed acknowledge link of (alert, member)."""
    token = setup.signer.link_token(Purpose.ACKNOWLEDGE, alert_id, member_id)
    return f"{setup.public_url.rstrip('/')}{ACK_PATH}/{token}?l={quote(language)}"


def unsubscribe_url(setup: MailSetup, alert_id: int, member_id: str) -> str:
    """The signed one-click unsubscribe link (RFC 8058) of (alert, member)."""
    token = setup.signer.link_token(Purpose.UNSUBSCRIBE, alert_id, member_id)
    return f"{setup.public_url.rstrip('/')}{UNSUBSCRIBE_PATH}/{token}"


def _day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _area_names(alert: Alert, territories: TerritoryRegistry, language: str) -> list[str]:
    names = []
    for nis in alert.content.municipalities:
        m = territories.municipalities[nis]
        if language == "nl":
            names.append(m.name_nl)
        elif language == "de":
            names.append(m.name_de or m.name_fr)
        else:
            names.append(m.name_fr)
    return names


def _status_line(alert: Alert, share: EmailShare, labels: Labels) -> str | None:
    if alert.status is AlertStatus.EXPIRED:
        return labels("This alert has expired: its period is over.")
    if alert.status is AlertStatus.CLOSED:
        reason = alert.status_reason if share is EmailShare.FULL else None
        return labels("Closed: {reason}", reason=reason) if reason else labels("Closed.")
    return None


def _fields(
    alert: Alert, share: EmailShare, labels: Labels, area: str, source: str
) -> list[tuple[str, str]]:
    content = alert.content
    period = (
        labels(
            "from {start} to {end}", start=_day(content.period_start), end=_day(content.period_end)
        )
        if content.period_end
        else labels("since {start}", start=_day(content.period_start))
    )
    fields = [(labels("Area"), area), (labels("Period"), period)]
    if share is EmailShare.FULL:
        fields.append((labels("Summary"), content.summary))
        if content.modus:
            fields.append((labels("Modus operandi"), content.modus))
        if content.advice:
            fields.append((labels("Advice"), content.advice))
        fields.append((labels("Source"), source))
    fields.append((labels("Reference"), alert.ref))
    return fields


class BulletinTemplate:
    """An alert's mail in one routed room's language, written once: each member's mail adds only
    what is theirs (address, Message-ID, reply address, acknowledge and unsubscribe links).

    The bytes are those Python's email package writes for the same message under
    :data:`prevnet.mail.sender.WIRE_POLICY` (the tests compare them): the shared headers are
    folded by it once, the member's own plain ASCII values are written as it writes them, and
    each body is encoded as its quoted-printable encoder does (``prevnet.mail.quoted_printable``).
    """

    def __init__(
        self,
        alert: Alert,
        language: str,
        setup: MailSetup,
        territories: TerritoryRegistry,
        chat: ChatLink,
        source: str,
        at: datetime | None = None,
    ) -> None:
        share = email_share(alert.content.tlp)
        self._alert, self._setup, self._language = alert, setup, language
        labels = Labels([language])
        content = alert.content
        type_name = content.type.names.get(language, content.type.names["en"])
        names = _area_names(alert, territories, language)
        marker = {
            AlertStatus.CLOSED: labels("CLOSED"),
            AlertStatus.EXPIRED: labels("EXPIRED"),
            AlertStatus.UPDATED: labels("UPDATED"),
        }.get(alert.status)
        tlp = content.tlp
        short_area = ", ".join(names[:_SUBJECT_AREA_NAMES]) + (
            "…" if len(names) > _SUBJECT_AREA_NAMES else ""
        )
        subject = f"[{tlp.label}] " + (f"[{marker}] " if marker else "")
        subject += f"{type_name} · {short_area} · {alert.ref}"

        fields = _fields(alert, share, labels, area=", ".join(names), source=source)
        status = _status_line(alert, share, labels)
        opened, ack = mail_text("open", language), mail_text("ack", language)
        why, unsubscribe = mail_text("why", language), mail_text("unsubscribe", language)
        notes = [mail_text("amber", language, tlp=tlp.label)] if share is EmailShare.NOTICE else []
        # An AMBER discussion is AMBER, and a closed alert takes no answers: neither invites e-mail.
        self._replies = share is not EmailShare.NOTICE and alert.status not in _NO_REPLIES
        notes.append(mail_text("reply" if self._replies else "reply_in_matrix", language))

        head = f"{tlp.label} · {type_name} · {alert.ref}"
        text = [f"[{marker}] {head}" if marker else head, ""]
        text += [f"{name}: {value}" for name, value in fields]
        text += [status, ""] if status else [""]
        text += [*notes, ""]
        text += [f"{opened}: {chat.url}", f"{ack}: "]
        # the text part: these pieces around the member's acknowledge and unsubscribe links
        self._text = _body(("\n".join(text), f"\n\n-- \n{why}\n{unsubscribe}: ", "\n"))

        e = html.escape
        label_html = (
            f'<span style="background:#000000;color:{tlp.colour};padding:1px 4px;'
            f'font-weight:bold">{e(tlp.label)}</span>'
        )
        body = [f"<p>{f'<b>[{e(marker)}]</b> ' if marker else ''}{label_html} · "]
        body[0] += f"<b>{e(type_name)}</b> · {e(alert.ref)}</p>"
        rows = "".join(
            f"<li><b>{e(name)}</b>: {e(value).replace(chr(10), '<br>')}</li>"
            for name, value in fields
        )
        body.append(f"<ul>{rows}</ul>")
        if status:
            body.append(f"<p><b>{e(status)}</b></p>")
        body += [f"<p>{e(note)}</p>" for note in notes]
        body.append(f'<p><a href="{e(chat.url)}">{e(opened)}</a></p><p><a href="')
        self._html = _body(
            (
                f'<!DOCTYPE html><html lang="{e(language)}"><body>{"".join(body)}',
                f'">{e(ack)}</a></p><hr><p style="font-size:small">{e(why)} <a href="',
                f'">{e(unsubscribe)}</a></p></body></html>',
            )
        )

        boundary = f"==============={secrets.randbelow(sys.maxsize):019d}=="
        date = format_datetime(at or datetime.now(UTC))
        list_id, _unsubscribe, *marks = list_headers(_list_id(setup), "")
        self._from = _folded("From", setup.from_address)
        sender = WIRE_POLICY.header_store_parse("From", setup.from_address)[1]
        self._mail_from = sender.addresses[0].addr_spec  # the envelope's, as aiosmtplib takes it
        self._subject_date = _folded("Subject", subject) + _folded("Date", date)
        self._list_id = _folded(*list_id)
        self._rest = "".join(_folded(name, value) for name, value in marks)
        self._rest += "MIME-Version: 1.0\r\n"
        self._rest += _folded("Content-Type", f'multipart/alternative; boundary="{boundary}"')
        self._rest += f"\r\n--{boundary}\r\n{_part_headers('plain')}\r\n"
        self._between = f"\r\n--{boundary}\r\n{_part_headers('html')}MIME-Version: 1.0\r\n\r\n"
        self._end = f"\r\n--{boundary}--\r\n"
        self._last_day = content.last_day() + REPLY_GRACE

    def mail(self, recipient: MailRecipient, own_id: str | None = None) -> OutgoingMail:
        """``recipient``'s mail as the relay gets it (``own_id``: its Message-ID, if the caller
        has it already). Their address must be one plain address (``email_problem`` finds
        nothing, as the mailer checks): ValueError for one not even made of its characters."""
        alert, setup, member = self._alert, self._setup, recipient.member_id
        address = recipient.address
        if not _PLAIN_ADDRESS.fullmatch(address):
            raise ValueError(f"{address!r} is not one plain e-mail address")
        own_id = own_id or message_id(setup, alert, member)
        ack = ack_url(setup, alert.id, member, self._language)
        unsubscribe = unsubscribe_url(setup, alert.id, member)
        head = [self._from, _member_header("To", address), self._subject_date]
        head.append(_member_header("Message-ID", own_id))
        if alert.status is not AlertStatus.PUBLISHED:
            root = root_message_id(setup, alert.id, member)
            head += [_member_header("In-Reply-To", root), _member_header("References", root)]
        if self._replies:
            reply = setup.signer.reply_address(alert.id, member, setup.reply_domain, self._last_day)
            head.append(_member_header("Reply-To", reply))
        head += [self._list_id, _member_header("List-Unsubscribe", f"<{unsubscribe}>")]
        head.append(self._rest)
        text = self._text.encode([ack, unsubscribe])
        page = self._html.encode([html.escape(ack), html.escape(unsubscribe)])
        parts = (text, self._between, page, self._end)
        content = "".join(head) + "".join(parts)
        return OutgoingMail(own_id, self._mail_from, (address,), content.encode("ascii"))

    def message(self, recipient: MailRecipient) -> EmailMessage:
        """``recipient``'s mail as a mail client reads it."""
        parsed = message_from_bytes(self.mail(recipient).content, policy=MAIL_POLICY)
        assert isinstance(parsed, EmailMessage)
        return parsed


def _part_headers(subtype: str) -> str:
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n"
    )


_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
"""A cheap guard that an address can add no recipient nor header; ``email_problem`` checks."""
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9._~:/?#@!$&'*+=%<>-]+")


def _list_id(setup: MailSetup) -> str:
    return f"prevnet bulletins <bulletins.{setup.domain}>"


def _folded(name: str, value: str) -> str:
    """A header as the email package stores and writes it (ValueError for a line break)."""
    stored = WIRE_POLICY.header_store_parse(name, value)[1]
    return str(WIRE_POLICY.fold(name, stored))


def _member_header(name: str, value: str) -> str:
    """A member's own header: written as is when the email package would leave it so (plain
    ASCII, no space, comment or encoded word, within the line limit), else folded by it."""
    if (
        _PLAIN_VALUE.fullmatch(value)
        and "=?" not in value
        and len(name) + 2 + len(value) <= MAX_LINE_LENGTH
    ):
        return f"{name}: {value}\r\n"
    return _folded(name, value)


def _body(pieces: tuple[str, ...]) -> QuotedPrintable:
    """A body part as ``set_content(text, cte="quoted-printable")`` under :data:`MAIL_POLICY`
    encodes it, with the relay's CRLF line ends."""
    return QuotedPrintable(pieces, MAX_LINE_LENGTH, WIRE_POLICY.linesep)


def bulletin_template(
    alert: Alert,
    language: str,
    setup: MailSetup,
    territories: TerritoryRegistry,
    chat: ChatLink,
    source: str,
    at: datetime | None = None,
) -> BulletinTemplate | None:
    """The mail of ``alert`` in ``language`` for those who read it through ``chat``'s room, or
    None when none may be sent.

    None for AMBER+STRICT and RED (never by e-mail) and for an alert that is not published
    (drafts, pending, rejected, cancelled). An AMBER mail names the type, area and period and
    links to Matrix; its summary, modus, advice, source and closing reason stay out. Only a
    CLEAR or GREEN mail of an open alert has a reply address: AMBER and closed ones say to
    answer in Matrix.
    """
    if email_share(alert.content.tlp) is EmailShare.NOTHING or alert.status not in _MAILED:
        return None
    return BulletinTemplate(alert, language, setup, territories, chat, source, at)


def render_bulletin_mail(
    alert: Alert,
    recipient: MailRecipient,
    setup: MailSetup,
    territories: TerritoryRegistry,
    chat: ChatLink,
    source: str,
    at: datetime | None = None,
) -> EmailMessage | None:
    """The e-mail of ``alert`` for ``recipient`` as a mail client reads it, or None when none
    may be sent (see :func:`bulletin_template`)."""
    template = bulletin_template(alert, recipient.language, setup, territories, chat, source, at)
    if template is None:
        return None
    address = mail_address(recipient.address).addr_spec  # InvalidValue for a bad one
    return template.message(replace(recipient, address=address))
