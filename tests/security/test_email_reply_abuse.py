"""Hostile mail at the reply receiver: MIME bombs, forged ``From`` lines, closed alerts.

Everything is sent for real to the receiver on 127.0.0.1. A bomb must be refused without
freezing the server for everyone else, and a ``From`` that only looks like a member's is refused.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import smtplib
import threading
from collections.abc import Collection
from datetime import date, timedelta

import pytest

from prevnet.mail import replies
from prevnet.mail.replies import EmailReply, ReplyReceiver, start_reply_server
from tests.mail.support import SIGNER
from tests.security.test_email_replies import (
    DOMAIN,
    JAN,
    LAST_DAY,
    WORDS,
    Inbox,
    inbox,
    members_for,
    reply,
    send_in_thread,
)

__all__ = ["inbox"]  # the fixture, shared with the main reply tests
JANS_ADDRESS = SIGNER.reply_address(12, JAN, DOMAIN, LAST_DAY)


def raw_mail(body: bytes, from_header: str = "Jan <jan@politie.example>") -> bytes:
    head = f"From: {from_header}\r\nTo: {JANS_ADDRESS}\r\nSubject: Re: A-12\r\n"
    return head.encode() + body


def flat_bomb(parts: int) -> bytes:
    part = b"--b\r\nContent-Type: text/html\r\n\r\nx\r\n"
    return raw_mail(
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        + b"--b\r\nContent-Type: text/plain\r\n\r\n"
        + WORDS.encode()
        + b"\r\n"
        + part * parts
        + b"--b--\r\n"
    )


def nested_bomb(depth: int) -> bytes:
    body = ""
    for i in range(depth):
        body += f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'
    body += f"Content-Type: text/plain\r\n\r\n{WORDS}\r\n"
    for i in reversed(range(depth)):
        body += f"--b{i}--\r\n"
    return raw_mail(body.encode())


def send_raw(box: Inbox, raw: bytes, to: str = JANS_ADDRESS) -> tuple[int, bytes]:
    """The receiver's answer to DATA (code, text), as a member's server would see it."""
    with smtplib.SMTP("127.0.0.1", box.port, timeout=60) as client:
        client.ehlo()
        client.mail("jan@politie.example")
        client.rcpt(to)
        return client.data(raw)


async def test_a_flat_mime_bomb_is_refused_while_a_real_reply_gets_through(
    inbox: Inbox,
) -> None:
    bomb, _ = await asyncio.gather(
        asyncio.to_thread(send_raw, inbox, flat_bomb(25_000)),
        send_in_thread(inbox, reply()),
    )
    code, text = bomb
    assert code == 550 and b"MIME parts" in text
    assert [r.text for r in inbox.replies] == [WORDS]


async def test_a_mime_bomb_with_a_guessed_token_is_refused_before_its_body_is_parsed(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[bytes] = []
    monkeypatch.setattr(replies, "_parse_body", lambda raw: parsed.append(raw))
    guessed = JANS_ADDRESS.rpartition("-")[0] + "-" + "a" * 32 + "@" + DOMAIN
    code, _ = await asyncio.to_thread(send_raw, inbox, flat_bomb(25_000), guessed)
    assert code == 550 and parsed == []


async def test_the_body_is_parsed_off_the_event_loop(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    real_parse = replies._parse_body

    def spy(raw: bytes) -> object:
        threads.append(threading.current_thread())
        return real_parse(raw)

    monkeypatch.setattr(replies, "_parse_body", spy)
    await send_in_thread(inbox, reply())
    assert len(inbox.replies) == 1
    assert threads and threads[0] is not threading.main_thread()


@pytest.mark.parametrize(("bomb", "why"), [(nested_bomb(3000), b""), (nested_bomb(11), b"deep")])
async def test_deeply_nested_multiparts_are_refused_without_a_traceback(
    inbox: Inbox, caplog: pytest.LogCaptureFixture, bomb: bytes, why: bytes
) -> None:
    with caplog.at_level(logging.INFO):
        code, text = await asyncio.to_thread(send_raw, inbox, bomb)
    assert code == 550 and why in text
    assert b"Recursion" not in text and b"Error" not in text
    assert not [r for r in caplog.records if r.exc_info] and "Traceback" not in caplog.text
    assert inbox.replies == []


async def test_a_hundred_and_one_parts_are_refused_but_a_few_pass(inbox: Inbox) -> None:
    code, _ = await asyncio.to_thread(send_raw, inbox, flat_bomb(101))
    assert code == 550
    code, _ = await asyncio.to_thread(send_raw, inbox, flat_bomb(3))
    assert code == 250 and [r.text for r in inbox.replies] == [WORDS]


FORGED_FROM = [
    "jan@politie.example <attacker@evil.example>",
    '"jan@politie.example" <attacker@evil.example>',
    "jan@politie.example)<attacker@evil.example>",
    "attacker@evil.example, jan@politie.example",
    "<jan@politie.example>, <>",
    "jan@politie.example <attacker@evil.example",
    '"a" <jan@politie.example>@evil.example',
    "jan@politie.example@evil.example",
    "=?utf-8?q?jan=40politie=2Eexample?= <attacker@evil.example>",
    "jan@politie.example (comment) <attacker@evil.example>",
    '"attacker@evil.example" jan@politie.example',
    "attacker@evil.example\\,jan@politie.example",
    '"jan@politie.example"@evil.example',
    "attacker@evil.example <jan@politie.example>",
]


@pytest.mark.parametrize("from_header", FORGED_FROM)
async def test_a_from_that_only_looks_like_a_members_is_refused(
    inbox: Inbox, from_header: str
) -> None:
    mail = raw_mail(b"\r\n" + WORDS.encode() + b"\r\n", from_header)
    code, _ = await asyncio.to_thread(send_raw, inbox, mail)
    assert code == 550
    assert inbox.replies == []


async def test_two_from_lines_are_refused(inbox: Inbox) -> None:
    mail = b"From: attacker@evil.example\r\n" + raw_mail(b"\r\n" + WORDS.encode() + b"\r\n")
    code, _ = await asyncio.to_thread(send_raw, inbox, mail)
    assert code == 550 and inbox.replies == []


async def test_a_plain_from_of_the_member_still_passes(inbox: Inbox) -> None:
    mail = raw_mail(b"\r\n" + WORDS.encode() + b"\r\n", "jan@politie.example")
    code, _ = await asyncio.to_thread(send_raw, inbox, mail)
    assert code == 250 and len(inbox.replies) == 1


async def test_a_reply_to_an_alert_closed_or_no_longer_green_is_refused(inbox: Inbox) -> None:
    # alert 14 is AMBER, closed or expired now: its valid token no longer posts anything
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await send_in_thread(
            inbox, reply(alert_id=14, to=SIGNER.reply_address(14, JAN, DOMAIN, LAST_DAY))
        )
    assert refused.value.smtp_code == 550 and b"Matrix" in refused.value.smtp_error
    assert inbox.replies == []


async def test_an_alert_state_lookup_that_fails_asks_the_sender_to_retry() -> None:
    async def no_database(alert_id: int) -> bool:
        raise RuntimeError("database down")

    handed_on: list[EmailReply] = []

    async def on_reply(reply: EmailReply) -> None:
        handed_on.append(reply)

    async def members(address: str) -> Collection[str]:
        return await members_for(address)

    receiver = ReplyReceiver(SIGNER, DOMAIN, members, on_reply, no_database)
    server = await start_reply_server(receiver, "127.0.0.1", 0)
    try:
        with pytest.raises(smtplib.SMTPDataError) as later:
            await send_in_thread(Inbox(server.sockets[0].getsockname()[1]), reply())
        assert later.value.smtp_code == 451 and b"database" not in later.value.smtp_error
        assert handed_on == []
    finally:
        server.close()
        await server.wait_closed()


async def test_a_reply_address_past_its_last_day_is_refused() -> None:
    handed_on: list[EmailReply] = []

    async def on_reply(reply: EmailReply) -> None:
        handed_on.append(reply)

    async def always_open(alert_id: int) -> bool:
        return True  # the token's own day must refuse, whatever the alert lookup says

    def after_the_last_day() -> date:
        return LAST_DAY + timedelta(days=1)

    receiver = ReplyReceiver(
        SIGNER, DOMAIN, members_for, on_reply, always_open, today=after_the_last_day
    )
    server = await start_reply_server(receiver, "127.0.0.1", 0)
    box = Inbox(server.sockets[0].getsockname()[1])
    try:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            await send_in_thread(box, reply())
        assert refused.value.smtp_code == 550
        # moving the day forward in the address breaks its MAC
        _, alert, day, token = JANS_ADDRESS.partition("@")[0].split("-")
        extended = f"r-{alert}-{int(day) + 10}-{token}@{DOMAIN}"
        with pytest.raises(smtplib.SMTPDataError):
            await send_in_thread(box, reply(to=extended))
        assert handed_on == []
    finally:
        server.close()
        await server.wait_closed()


async def test_a_reply_address_on_its_last_day_still_works(inbox: Inbox) -> None:
    await send_in_thread(inbox, reply())
    assert len(inbox.replies) == 1


async def test_connections_beyond_the_cap_are_turned_away_with_421(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replies, "MAX_SESSIONS", 1)

    def second_while_first_is_open() -> int:
        with smtplib.SMTP("127.0.0.1", inbox.port, timeout=30) as first:
            first.ehlo()
            try:
                smtplib.SMTP("127.0.0.1", inbox.port, timeout=30).close()
            except smtplib.SMTPConnectError as refused:
                return refused.smtp_code
            return 220

    assert await asyncio.to_thread(second_while_first_is_open) == 421


async def test_a_reply_too_long_for_a_thread_is_refused_with_what_to_do(inbox: Inbox) -> None:
    body = "Content-Type: text/plain\r\n\r\n" + ("Bonjour, voici ma remarque.\r\n" * 400) + "\r\n"
    code, text = await asyncio.to_thread(send_raw, inbox, raw_mail(body.encode()))
    assert code == 552 and b"keep it under 8,000 characters" in text
    assert inbox.replies == []
    short = "Content-Type: text/plain\r\n\r\n" + ("Bonjour, voici ma remarque.\r\n" * 100) + "\r\n"
    code, _ = await asyncio.to_thread(send_raw, inbox, raw_mail(short.encode()))
    assert code == 250 and len(inbox.replies) == 1


async def test_a_reply_too_big_for_an_encrypted_chat_event_is_refused_though_under_8000_chars(
    inbox: Inbox,
) -> None:
    """Characters are not bytes: 7,000 CJK characters (or quotes, or emoji) fit the character
    limit but not an encrypted Matrix event (64 KiB, base64 adds a third); taken with 250, such a
    reply was then refused by the homeserver and lost in chat."""

    def utf8(text: str) -> bytes:
        head = b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n"
        return raw_mail(head + b"\r\n" + base64.encodebytes(text.encode()).replace(b"\n", b"\r\n"))

    for text in ("中文" * 3_500, '"' * 7_000, "😀" * 7_000):
        code, answer = await asyncio.to_thread(send_raw, inbox, utf8(text))
        assert code == 552 and b"too long for a chat thread" in answer
    assert inbox.replies == []
    plain = "Bonjour, l'équipe a vu la même chose hier soir.\n" * 140
    code, _ = await asyncio.to_thread(send_raw, inbox, utf8(plain))
    assert code == 250 and len(inbox.replies) == 1 and len(inbox.replies[0].text) > 6_500
