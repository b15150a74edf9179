"""A relay that stalls or hangs up in the middle of a batch: the mails after the one in flight
still arrive (once), and the one in flight is listed as of unknown fate, never sent again.

Review finding: a read timeout on message 2 of 3 escaped as a raw aiosmtplib error, so all three
stayed ``sending`` for ever and message 3 never went; a disconnect marked the in-flight message
``retry`` though the relay may have taken it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from click.testing import CliRunner

from phenomena.storage.database import Database, sqlite_url
from phenomena.storage.email_deliveries import SENDING, SENT, SqlEmailDeliveries
from phenomena.territory import TerritoryRegistry
from prevnet.cli import cli
from prevnet.mail.sender import MailSendError, SmtpSender
from prevnet.settings import EmailSettings
from tests.conftest import run_in_own_loop
from tests.mail.bulletin_desk import MailDesk
from tests.mail.smtp_relay import Inbox, Relay, free_port
from tests.support.alert_desk import Desk, user

SUMMARY = "Rear doors forced in Hyon and Nimy in daylight"
WHO = ("prevention.quevy", "prevention.mons", "inspecteur.mons")


@dataclass
class Faulty(Inbox):
    """Takes the ``fail_on``-th message, then stalls (until ``release``) or hangs up."""

    fail_on: int = 2
    hang_up: bool = False
    release: asyncio.Event = field(default_factory=asyncio.Event)
    seen: int = 0

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.seen += 1
        answer = await super().handle_DATA(server, session, envelope)  # the relay has it
        if self.seen == self.fail_on:
            if self.hang_up:
                assert server.transport is not None
                server.transport.close()
            else:
                await self.release.wait()  # answers only after the client gave up
        return answer


@dataclass
class FaultyRelay(Relay):
    def settings(self, **extra: Any) -> EmailSettings:
        return super().settings(timeout_seconds=0.5, **extra)


@pytest.fixture(params=["stalls", "hangs up"])
async def faulty(request: pytest.FixtureRequest) -> AsyncIterator[FaultyRelay]:
    inbox = Faulty(hang_up=request.param == "hangs up")
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield FaultyRelay(inbox, port)
    finally:
        controller.loop.call_soon_threadsafe(inbox.release.set)
        controller.stop()


def message(to: str) -> EmailMessage:
    msg = EmailMessage()
    msg["To"] = to
    msg["Subject"] = f"for {to}"
    msg.set_content("hello")
    return msg


async def test_the_sender_names_what_went_and_the_one_in_flight(faulty: FaultyRelay) -> None:
    batch = [message(f"m{i}@example.be") for i in range(3)]
    with pytest.raises(MailSendError) as failed:
        await SmtpSender(faulty.settings()).send(batch)
    ids = [str(m["Message-ID"]) for m in batch]
    assert failed.value.sent == (ids[0],)
    assert failed.value.unknown == (ids[1],)
    assert failed.value.transient
    assert "m2@example.be" not in {r for got in faulty.inbox.received for r in got.rcpt_tos}


async def test_after_a_stall_the_third_mail_arrives_nothing_twice_the_second_is_listed(
    db: Database, territories: TerritoryRegistry, faulty: FaultyRelay, tmp_path: Path
) -> None:
    desk = Desk(db, territories)
    await desk.load_demo()
    mail = MailDesk(desk, faulty, tmp_path)
    await mail.start()
    for who in WHO:
        await mail.choose(who, "all")
    await mail.publish("green", SUMMARY)

    await mail.mail()  # the first run fails mid-batch; the later runs retry the event

    counts = {who: len(mail.inbox(who)) for who in WHO}
    assert sorted(counts.values()) == [1, 1, 1], counts  # the relay took message 2 once
    assert await mail.pending() == 0
    assert isinstance(faulty.inbox, Faulty) and faulty.inbox.seen == 3  # never resent
    in_flight = faulty.inbox.received[1]
    [unknown] = await mail.deliveries.unfinished(desk.clock())  # listed at once, no waiting
    assert unknown.state == SENDING and unknown.message_id == in_flight.message["Message-ID"]
    assert unknown.last_error is not None and "fate unknown" in unknown.last_error
    for got in (faulty.inbox.received[0], faulty.inbox.received[2]):
        send = await mail.deliveries.send(str(got.message["Message-ID"]))
        assert send is not None and send.state == SENT


def test_the_outbox_list_names_a_mail_of_unknown_fate(tmp_path: Path) -> None:
    """What an operator runs: ``prevnet outbox list`` on the data directory's database."""
    data = tmp_path / "data"
    first = CliRunner().invoke(cli, ["--data-dir", str(data), "outbox", "list"])
    assert first.exit_code == 0 and "unknown fate" not in first.output

    async def record() -> None:
        db = Database.connect(sqlite_url(data / "prevnet.sqlite3"))
        try:
            deliveries = SqlEmailDeliveries(db)
            assert await deliveries.claim("<b2@prevnet.example>", user("a"), "bulletin", 7)
            await deliveries.mark_unknown("<b2@prevnet.example>", "SMTPReadTimeoutError: late")
            assert await deliveries.claim("<b3@prevnet.example>", user("b"), "bulletin", 7)
            await deliveries.mark_sent("<b3@prevnet.example>")
            assert await deliveries.claim("<b4@prevnet.example>", user("c"), "bulletin", 7)
        finally:
            await db.close()

    run_in_own_loop(record())
    listed = CliRunner().invoke(cli, ["--data-dir", str(data), "outbox", "list"])
    assert listed.exit_code == 0, listed.output
    assert "1 e-mail(s) of unknown fate" in listed.output
    assert "<b2@prevnet.example>" in listed.output and "alert #7" in listed.output
    assert "SMTPReadTimeoutError: late" in listed.output
    assert "<b3@prevnet.example>" not in listed.output  # sent
    assert "<b4@prevnet.example>" not in listed.output  # being sent right now
