"""The mail desk of ``tests.mail.bulletin_desk`` with the weekly digest mailer beside it."""

from __future__ import annotations

from email.message import EmailMessage

from prevnet.mail.digest_mail import DigestMailer, digest_mailer
from tests.mail.bulletin_desk import MailDesk


def mailer(mail: MailDesk) -> DigestMailer:
    """A (new) digest mailer for the desk's network, as a restarted process makes it."""
    found = digest_mailer(
        mail.settings(), mail.desk.db, mail.desk.territories, clock=mail.desk.clock
    )
    assert found is not None
    return found


async def send_digests(mail: MailDesk) -> int:
    """Run the weekly digest job's e-mail part on the desk's day."""
    return await mailer(mail).send_week(mail.desk.clock().date())


def chart_of(msg: EmailMessage) -> tuple[str, bytes]:
    """The inline chart: its Content-ID (without brackets) and its bytes."""
    [image] = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert isinstance(image, EmailMessage)
    return str(image["Content-ID"]).strip("<>"), image.get_content()
