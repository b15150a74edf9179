"""Replies by e-mail, sent for real to prevnet's receiver on 127.0.0.1: who gets through.

An adversarial member may forge a token, send from another address, reuse another alert's
token, or flood the receiver; none of it reaches a thread, and its text is never logged.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import AsyncIterator, Collection
from datetime import date, timedelta
from email.message import EmailMessage

import aiosmtplib
import pytest

from prevnet.mail.replies import EmailReply, ReplyReceiver, start_reply_server
from tests.mail.support import SIGNER

DOMAIN = "reply.prevnet.example"
JAN = "@jan:prevnet.example"
CLAIRE = "@claire:prevnet.example"
REGISTERED = {"jan@politie.example": [JAN], "claire@zone.example": [CLAIRE]}
WORDS = "Perpendicular aardvark sighting"
LAST_DAY = date.today() + timedelta(days=30)  # the reply addresses' last valid day


class Inbox:
    """The receiver on a free port and the replies it handed on."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.replies: list[EmailReply] = []


async def members_for(address: str) -> Collection[str]:
    return REGISTERED.get(address, [])


OPEN_ALERTS = {12, 13}  # GREEN and open; any other alert takes no e-mailed reply


async def replies_open(alert_id: int) -> bool:
    return alert_id in OPEN_ALERTS


@pytest.fixture
async def inbox() -> AsyncIterator[Inbox]:
    box = Inbox(0)

    async def on_reply(reply: EmailReply) -> None:
        box.replies.append(reply)

    receiver = ReplyReceiver(SIGNER, DOMAIN, members_for, on_reply, replies_open)
    server = await start_reply_server(receiver, "127.0.0.1", 0)
    box.port = server.sockets[0].getsockname()[1]
    yield box
    server.close()
    await server.wait_closed()


def reply(
    alert_id: int = 12,
    member: str = JAN,
    sender: str = "jan@politie.example",
    text: str = WORDS,
    to: str | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Jan Peeters <{sender}>"
    msg["To"] = to or SIGNER.reply_address(alert_id, member, DOMAIN, LAST_DAY)
    msg["Subject"] = "Re: [TLP:GREEN] Woninginbraak · A-12"
    msg["Message-ID"] = "<r1@politie.example>"
    msg.set_content(f"{text}\n\nOp di 1 dec. 2026 schreef prevnet:\n> Xylophone gang\n")
    return msg


def send(box: Inbox, msg: EmailMessage, mail_from: str = "jan@politie.example") -> None:
    """Send with the standard library's smtplib, as a member's mail server would."""
    with smtplib.SMTP("127.0.0.1", box.port, timeout=30) as client:
        client.send_message(msg, from_addr=mail_from)


async def send_in_thread(
    box: Inbox, msg: EmailMessage, mail_from: str = "jan@politie.example"
) -> None:
    await asyncio.to_thread(send, box, msg, mail_from)


async def test_a_members_reply_is_handed_on_without_the_quote(inbox: Inbox) -> None:
    await send_in_thread(inbox, reply())
    assert inbox.replies == [EmailReply(12, JAN, WORDS, "<r1@politie.example>")]


async def test_a_reply_sent_with_aiosmtplib_is_handed_on(inbox: Inbox) -> None:
    await aiosmtplib.send(
        reply(member=CLAIRE, sender="claire@zone.example"), hostname="127.0.0.1", port=inbox.port
    )
    assert [(r.alert_id, r.member_id, r.text) for r in inbox.replies] == [(12, CLAIRE, WORDS)]


async def test_a_forged_token_is_refused_and_logged_without_its_text(
    inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    forged = SIGNER.reply_address(12, JAN, DOMAIN, LAST_DAY).rpartition("-")[0] + "-" + "a" * 32
    forged += "@" + DOMAIN
    with (
        caplog.at_level(logging.INFO, logger="prevnet.mail"),
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        await send_in_thread(inbox, reply(to=forged))
    assert refused.value.smtp_code == 550
    assert inbox.replies == []
    assert "A-12" in caplog.text and "forged" in caplog.text
    assert "aardvark" not in caplog.text.lower() and "xylophone" not in caplog.text.lower()


async def test_a_reply_from_another_address_is_refused(
    inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    # Claire has Jan's reply address (a forwarded mail) and answers from her own mailbox
    with caplog.at_level(logging.INFO, logger="prevnet.mail"), pytest.raises(smtplib.SMTPDataError):
        await send_in_thread(inbox, reply(sender="claire@zone.example"), "claire@zone.example")
    # or from an address no member has
    with pytest.raises(smtplib.SMTPDataError):
        await send_in_thread(inbox, reply(sender="mallory@evil.example"), "mallory@evil.example")
    assert inbox.replies == []
    assert "aardvark" not in caplog.text.lower()


async def test_another_alerts_token_is_refused(inbox: Inbox) -> None:
    _, _, day, token_of_13 = SIGNER.reply_address(13, JAN, DOMAIN, LAST_DAY).split("-")
    with pytest.raises(smtplib.SMTPDataError):
        await send_in_thread(inbox, reply(to=f"r-12-{day}-{token_of_13}"))
    assert inbox.replies == []


async def test_other_domains_and_addresses_are_refused_at_rcpt(inbox: Inbox) -> None:
    for to in ("someone@elsewhere.example", "postmaster@" + DOMAIN):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            await send_in_thread(inbox, reply(to=to))
        [(code, _)] = refused.value.recipients.values()
        assert code == 550
    assert inbox.replies == []


async def test_bounces_and_automatic_replies_are_dropped(inbox: Inbox) -> None:
    await send_in_thread(inbox, reply(), mail_from="")  # a bounce: null sender
    for header, value in (
        ("Auto-Submitted", "auto-replied"),
        ("X-Autoreply", "yes"),
        ("Precedence", "auto_reply"),
    ):
        auto = reply()
        auto[header] = value
        await send_in_thread(inbox, auto)
    out_of_office = reply()
    out_of_office.replace_header("Subject", "Automatisch antwoord: afwezig tot 8 december")
    await send_in_thread(inbox, out_of_office)
    assert inbox.replies == []
    # a person who sets Auto-Submitted: no is a person
    human = reply()
    human["Auto-Submitted"] = "no"
    await send_in_thread(inbox, human)
    assert len(inbox.replies) == 1


async def test_a_message_over_one_megabyte_is_refused(inbox: Inbox) -> None:
    big = reply(text=WORDS + "\n" + "x" * 1_100_000)
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:  # it declared its SIZE
        await send_in_thread(inbox, big)
    assert refused.value.smtp_code == 552

    def send_without_declaring_the_size() -> int:
        with smtplib.SMTP("127.0.0.1", inbox.port, timeout=30) as client:
            client.ehlo()
            client.mail("jan@politie.example")
            client.rcpt(str(big["To"]))
            code, _ = client.data(big.as_bytes(policy=big.policy.clone(linesep="\r\n")))
            return code

    assert await asyncio.to_thread(send_without_declaring_the_size) == 552
    assert inbox.replies == []


async def test_a_message_without_a_text_part_is_refused(inbox: Inbox) -> None:
    html_only = reply()
    html_only.set_content("<p>Perpendicular aardvark</p>", subtype="html")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await send_in_thread(inbox, html_only)
    assert refused.value.smtp_code == 550 and b"plain text" in refused.value.smtp_error
    assert inbox.replies == []


async def test_a_reply_of_nothing_but_the_quote_is_refused(inbox: Inbox) -> None:
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await send_in_thread(inbox, reply(text=""))
    assert b"above the quoted" in refused.value.smtp_error
    assert inbox.replies == []


async def test_a_failing_handler_asks_the_sender_to_retry() -> None:
    async def broken(reply: EmailReply) -> None:
        raise RuntimeError("database down")

    server = await start_reply_server(
        ReplyReceiver(SIGNER, DOMAIN, members_for, broken, replies_open), "127.0.0.1", 0
    )
    box = Inbox(server.sockets[0].getsockname()[1])
    try:
        with pytest.raises(smtplib.SMTPDataError) as later:
            await send_in_thread(box, reply())
        assert later.value.smtp_code == 451
    finally:
        server.close()
        await server.wait_closed()


async def test_a_lookup_that_fails_asks_the_sender_to_retry() -> None:
    async def no_database(address: str) -> Collection[str]:
        raise RuntimeError("database down")

    async def on_reply(reply: EmailReply) -> None:
        raise AssertionError("nothing may be handed on unchecked")

    receiver = ReplyReceiver(SIGNER, DOMAIN, no_database, on_reply, replies_open)
    server = await start_reply_server(receiver, "127.0.0.1", 0)
    try:
        with pytest.raises(smtplib.SMTPDataError) as later:
            await send_in_thread(Inbox(server.sockets[0].getsockname()[1]), reply())
        assert later.value.smtp_code == 451 and b"database" not in later.value.smtp_error
    finally:
        server.close()
        await server.wait_closed()
