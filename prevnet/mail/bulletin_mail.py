"""An alert bulletin as one member's e-mail: the one place that decides what may leave Matrix.

Every bulletin e-mail is made by :func:`render_bulletin_mail`, which asks the TLP rule of
:mod:`phenomena.email_policy` first: CLEAR and GREEN in full, AMBER as a notice without its text,
AMBER+STRICT and RED not at all (None). Headers make mail clients thread an alert's published,
updated and closing mails, and let the member reply, acknowledge or unsubscribe in one click.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime
from urllib.parse import quote

from bots.i18n import Labels
from phenomena.alert import Alert, AlertStatus
from phenomena.email_address import mail_address
from phenomena.email_policy import EmailShare, email_share
from phenomena.territory import TerritoryRegistry
from prevnet.mail.mail_texts import mail_text
from prevnet.mail.signing import MailSigner, Purpose

ACK_PATH = "/mail/ack"
UNSUBSCRIBE_PATH = "/mail/unsubscribe"
_SUBJECT_AREA_NAMES = 3
MAIL_POLICY = default.clone(max_line_length=998)
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


def render_bulletin_mail(
    alert: Alert,
    recipient: MailRecipient,
    setup: MailSetup,
    territories: TerritoryRegistry,
    chat: ChatLink,
    source: str,
    at: datetime | None = None,
) -> EmailMessage | None:
    """The e-mail of ``alert`` for ``recipient``, or None when none may be sent.

    None for AMBER+STRICT and RED (never by e-mail) and for an alert that is not published
    (drafts, pending, rejected, cancelled). An AMBER mail names the type, area and period and
    links to Matrix; its summary, modus, advice, source and closing reason stay out. Only a
    CLEAR or GREEN mail of an open alert has a reply address: AMBER and closed ones say to
    answer in Matrix.
    """
    share = email_share(alert.content.tlp)
    if share is EmailShare.NOTHING or alert.status not in _MAILED:
        return None
    language = recipient.language
    labels = Labels([language])
    content = alert.content
    type_name = content.type.names.get(language, content.type.names["en"])
    names = _area_names(alert, territories, language)
    area = ", ".join(names)
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

    fields = _fields(alert, share, labels, area, source)
    status = _status_line(alert, share, labels)
    links = [
        (mail_text("open", language), chat.url),
        (mail_text("ack", language), ack_url(setup, alert.id, recipient.member_id, language)),
    ]
    unsubscribe = unsubscribe_url(setup, alert.id, recipient.member_id)
    notes = [mail_text("amber", language, tlp=tlp.label)] if share is EmailShare.NOTICE else []
    # An AMBER discussion is AMBER, and a closed alert takes no answers: neither invites e-mail.
    replies = share is not EmailShare.NOTICE and alert.status not in _NO_REPLIES
    notes.append(mail_text("reply" if replies else "reply_in_matrix", language))

    head = f"{tlp.label} · {type_name} · {alert.ref}"
    text = [f"[{marker}] {head}" if marker else head, ""]
    text += [f"{name}: {value}" for name, value in fields]
    text += [status, ""] if status else [""]
    text += [*notes, ""]
    text += [f"{name}: {url}" for name, url in links]
    text += ["", "-- ", mail_text("why", language)]
    text += [f"{mail_text('unsubscribe', language)}: {unsubscribe}", ""]

    e = html.escape
    label_html = (
        f'<span style="background:#000000;color:{tlp.colour};padding:1px 4px;'
        f'font-weight:bold">{e(tlp.label)}</span>'
    )
    body = [f"<p>{f'<b>[{e(marker)}]</b> ' if marker else ''}{label_html} · "]
    body[0] += f"<b>{e(type_name)}</b> · {e(alert.ref)}</p>"
    rows = "".join(
        f"<li><b>{e(name)}</b>: {e(value).replace(chr(10), '<br>')}</li>" for name, value in fields
    )
    body.append(f"<ul>{rows}</ul>")
    if status:
        body.append(f"<p><b>{e(status)}</b></p>")
    body += [f"<p>{e(note)}</p>" for note in notes]
    body += [f'<p><a href="{e(url)}">{e(name)}</a></p>' for name, url in links]
    body.append(
        f'<hr><p style="font-size:small">{e(mail_text("why", language))} '
        f'<a href="{e(unsubscribe)}">{e(mail_text("unsubscribe", language))}</a></p>'
    )

    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = setup.from_address
    msg["To"] = mail_address(recipient.address)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(at or datetime.now(UTC))
    msg["Message-ID"] = message_id(setup, alert, recipient.member_id)
    if alert.status is not AlertStatus.PUBLISHED:
        root = root_message_id(setup, alert.id, recipient.member_id)
        msg["In-Reply-To"] = root
        msg["References"] = root
    if replies:
        last_day = alert.content.last_day() + REPLY_GRACE
        msg["Reply-To"] = setup.signer.reply_address(
            alert.id, recipient.member_id, setup.reply_domain, last_day
        )
    finish_list_mail(msg, f"prevnet bulletins <bulletins.{setup.domain}>", unsubscribe)
    add_text_and_html(msg, text, body, language)
    return msg


def finish_list_mail(msg: EmailMessage, list_id: str, unsubscribe: str) -> None:
    """The headers of a list mail: its list, one-click unsubscribe (RFC 8058), and the marks that
    keep out-of-office answers from replying to it."""
    msg["List-Id"] = list_id
    msg["List-Unsubscribe"] = f"<{unsubscribe}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["Precedence"] = "list"


def add_text_and_html(msg: EmailMessage, text: list[str], body: list[str], language: str) -> None:
    """The plain-text part and its HTML alternative, so every mail client shows one of them."""
    msg.set_content("\n".join(text), cte="quoted-printable")
    lang = html.escape(language)
    html_doc = f'<!DOCTYPE html><html lang="{lang}"><body>{"".join(body)}</body></html>'
    msg.add_alternative(html_doc, subtype="html", cte="quoted-printable")
