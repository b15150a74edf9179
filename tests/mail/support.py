"""What the e-mail tests share: a signer, a mail setup and alerts in each state and label."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from email.message import EmailMessage

from phenomena.alert import Alert, AlertContent, AlertStatus
from phenomena.taxonomy import PhenomenonType
from phenomena.tlp import Tlp
from prevnet.mail.bulletin_mail import ChatLink, MailRecipient, MailSetup
from prevnet.mail.signing import MailSigner

SECRET = b"k" * 32
SIGNER = MailSigner(SECRET)
SETUP = MailSetup(
    from_address="prevnet <bulletins@prevnet.example>",
    reply_domain="reply.prevnet.example",
    public_url="https://prevnet.example/",
    signer=SIGNER,
)
CHAT = ChatLink("!room:prevnet.example", "$event:prevnet.example")
JAN = MailRecipient("@jan:prevnet.example", "jan@politie.example", "nl")
CLAIRE = MailRecipient("@claire:prevnet.example", "claire@zone.example", "fr")
SOURCE = "ZP Mons/Quévy (Claire)"

# Words no label, name or link contains: if one is in a mail, the alert's text leaked.
SUMMARY = "Xylophone gang targets bungalows near quarries"
MODUS = "Zanzibar crowbar through kitchen windows"
ADVICE = "Quokka padlocks on garden sheds"
SECRET_WORDS = ("xylophone", "bungalows", "quarries", "zanzibar", "crowbar", "kitchen", "quokka")

CONTENT = AlertContent(
    type=PhenomenonType.RESIDENTIAL_BURGLARY,
    municipalities=("53053", "53084"),
    period_start=date(2026, 11, 14),
    period_end=date(2026, 11, 20),
    tlp=Tlp.GREEN,
    summary=SUMMARY,
    modus=MODUS,
    advice=ADVICE,
)


def alert(
    tlp: Tlp = Tlp.GREEN,
    status: AlertStatus = AlertStatus.PUBLISHED,
    alert_id: int = 12,
    version: int = 1,
    reason: str | None = None,
) -> Alert:
    """Alert A-12 (by default), published, GREEN, in Mons and Quévy."""
    return Alert(
        id=alert_id,
        content=replace(CONTENT, tlp=tlp),
        author="@claire:prevnet.example",
        organisation="zp-mons",
        status=status,
        version=version,
        status_reason=reason,
    )


def whole_text(msg: EmailMessage) -> str:
    """Every header and every decoded part of a mail, lower-cased: what a reader could see."""
    parts = [f"{k}: {v}" for k, v in msg.items()]
    for part in msg.walk():
        if not part.is_multipart():
            parts.append(str(part.get_content()))
    parts.append(msg.as_string())
    return "\n".join(parts).lower()


def plain(msg: EmailMessage) -> str:
    """The plain-text body as a mail client shows it."""
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def html_body(msg: EmailMessage) -> str:
    """The HTML body."""
    body = msg.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())
