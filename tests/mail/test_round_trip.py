"""A bulletin e-mail through a real relay, and the member's reply back through the receiver."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import aiosmtplib
from aiosmtpd.smtp import SMTP, Envelope, Session

from phenomena.territory import TerritoryRegistry
from prevnet.mail.bulletin_mail import render_bulletin_mail
from prevnet.mail.replies import EmailReply, ReplyReceiver, start_reply_server
from tests.mail.support import CHAT, JAN, SETUP, SIGNER, SOURCE, alert, plain


class Mailbox:
    """The relay's side: every message it was handed, as the member's client would read it."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        parsed = message_from_bytes(envelope.original_content or b"", policy=default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


async def members_for(address: str) -> Collection[str]:
    return [JAN.member_id] if address == JAN.address else []


async def test_a_member_answers_a_bulletin_from_their_mail_client(
    territories: TerritoryRegistry,
) -> None:
    loop = asyncio.get_running_loop()
    mailbox = Mailbox()
    relay = await loop.create_server(lambda: SMTP(mailbox), "127.0.0.1", 0)
    replies: list[EmailReply] = []

    async def on_reply(reply: EmailReply) -> None:
        replies.append(reply)

    async def replies_open(alert_id: int) -> bool:
        return True  # the GREEN alert of this test is published and open

    receiver = ReplyReceiver(SIGNER, SETUP.reply_domain, members_for, on_reply, replies_open)
    inbound = await start_reply_server(receiver, "127.0.0.1", 0)
    try:
        bulletin = render_bulletin_mail(alert(), JAN, SETUP, territories, CHAT, SOURCE)
        assert bulletin is not None
        await aiosmtplib.send(
            bulletin, hostname="127.0.0.1", port=relay.sockets[0].getsockname()[1]
        )
        [arrived] = mailbox.messages

        answer = EmailMessage()
        answer["From"] = f"Jan Peeters <{JAN.address}>"
        answer["To"] = arrived["Reply-To"]
        answer["Subject"] = "Re: " + arrived["Subject"]
        answer["In-Reply-To"] = arrived["Message-ID"]
        answer["Message-ID"] = "<answer-1@politie.example>"
        quoted = "\n".join("> " + line for line in plain(arrived).splitlines())
        answer.set_content(
            "Same van seen in Quévy on Friday.\n\nJan\n\n"
            f"Op di 1 dec. 2026 om 10:00 schreef prevnet <bulletins@prevnet.example>:\n{quoted}\n"
        )
        await aiosmtplib.send(
            answer, hostname="127.0.0.1", port=inbound.sockets[0].getsockname()[1]
        )
    finally:
        for server in (relay, inbound):
            server.close()
            await server.wait_closed()

    assert replies == [
        EmailReply(
            12,
            JAN.member_id,
            "Same van seen in Quévy on Friday.\n\nJan",
            "<answer-1@politie.example>",
        )
    ]
