"""The SMTP sender against a real aiosmtpd relay on loopback."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from prevnet.mail.sender import MailSendError, SmtpSender
from tests.mail.smtp_relay import Inbox, Relay, free_port, relay

__all__ = ["relay"]


def message(to: str, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(f"hello {to}")
    return msg


async def test_a_batch_arrives_with_ids_and_sender(relay: Relay) -> None:
    sender = SmtpSender(relay.settings())
    report = await sender.send([message(f"m{i}@example.be", f"n{i}") for i in range(3)])
    assert report.complete and len(report.sent) == 3
    got = {r.message["Subject"]: r for r in relay.inbox.received}
    assert set(got) == {"n0", "n1", "n2"}
    assert got["n1"].rcpt_tos == ["m1@example.be"]
    assert got["n1"].message["From"] == "prevnet <prevnet@prevnet.example>"
    assert got["n1"].message["Message-ID"] in report.sent


async def test_a_refused_recipient_is_reported_and_the_rest_goes(relay: Relay) -> None:
    relay.inbox.refuse.add("gone@example.be")
    report = await SmtpSender(relay.settings()).send(
        [message("gone@example.be", "a"), message("here@example.be", "b")]
    )
    assert len(report.sent) == 1
    assert next(iter(report.refused.values())).startswith("gone@example.be: 550")
    assert [m["Subject"] for m in relay.inbox.to("here@example.be")] == ["b"]


async def test_a_relay_that_is_down_says_what_to_check() -> None:

    down = Relay(Inbox(), free_port())
    with pytest.raises(MailSendError, match=r"could not reach the SMTP relay.*smtp_host") as err:
        await SmtpSender(down.settings()).send([message("a@example.be", "x")])
    assert err.value.transient


async def test_starttls_against_a_relay_without_it_is_explained(relay: Relay) -> None:
    with pytest.raises(MailSendError, match="smtp_starttls") as err:
        await SmtpSender(relay.settings(smtp_starttls=True)).send([message("a@example.be", "x")])
    assert relay.inbox.received == []
    assert err.value.transient
