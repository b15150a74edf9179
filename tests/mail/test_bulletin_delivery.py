"""Bulletin e-mails through the outbox: typed alerts reach the mailboxes of members who chose them,
through a real relay, threaded, once, and a relay that is down delays and loses nothing."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from phenomena.alert import Alert
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import RETRY, SENDING, SENT
from phenomena.storage.schema import EmailSendRow, OutboxConsumerRow
from phenomena.territory import TerritoryRegistry
from prevnet.mail.bulletin_mail import ChatLink
from prevnet.mail.bulletin_wiring import bulletin_mail_dispatcher
from prevnet.mail.mail_chunks import Connection
from prevnet.mail.sender import OutgoingMail, SendReport, SmtpSender
from prevnet.settings import Settings
from tests.mail.bulletin_desk import MailDesk, address
from tests.mail.smtp_relay import Relay, free_port, relay
from tests.mail.support import plain
from tests.support.alert_desk import Desk, user

__all__ = ["relay"]

SUMMARY = "Rear doors forced in Hyon and Nimy in daylight"


@pytest.fixture
async def mail(
    db: Database, territories: TerritoryRegistry, relay: Relay, tmp_path: Path
) -> MailDesk:
    desk = Desk(db, territories)
    await desk.load_demo()
    found = MailDesk(desk, relay, tmp_path)
    await found.start()
    return found


async def test_an_update_and_the_closing_thread_under_the_first_mail(mail: MailDesk) -> None:
    await mail.choose("prevention.quevy", "all")
    ref = await mail.publish("green", SUMMARY)
    await mail.mail()
    await mail.desk.say("inspecteur.mons", f"!alert update {ref} advice: Lock the rear doors.")
    await mail.mail()
    await mail.desk.say("inspecteur.mons", f"!alert close {ref} arrests made")
    await mail.mail()

    first, update, closing = mail.inbox("prevention.quevy")
    assert first["In-Reply-To"] is None
    assert update["In-Reply-To"] == first["Message-ID"] == update["References"]
    assert closing["In-Reply-To"] == first["Message-ID"]
    assert len({first["Message-ID"], update["Message-ID"], closing["Message-ID"]}) == 3
    assert update["Subject"].startswith("[TLP:GREEN] [") and ref in update["Subject"]
    assert "Lock the rear doors." in plain(update)
    assert "arrests made" in plain(closing)
    assert await mail.pending() == 0


async def test_a_mail_is_written_in_the_language_of_the_room_it_comes_through(
    mail: MailDesk,
) -> None:
    await mail.choose("prevention.quevy", "all")
    await mail.publish("green", SUMMARY)
    await mail.mail()
    [got] = mail.inbox("prevention.quevy")
    assert got["Subject"].startswith("[TLP:GREEN] ")
    assert "Cambriolage" in got["Subject"] or "cambriolage" in got["Subject"].lower()
    assert "L'ouvrir dans Matrix" in plain(got)  # the zone room of Mons/Quévy speaks French
    assert "https://matrix.to/#/!zone:5324:prevnet.test" in plain(got)


async def test_relay_down_delays_and_loses_nothing_then_each_mail_arrives_once(
    mail: MailDesk,
) -> None:
    for who in ("prevention.quevy", "prevention.mons"):
        await mail.choose(who, "all")
    ref = await mail.publish("green", SUMMARY)
    down = await mail.dispatcher(relay_port=free_port())  # nothing listens there
    await mail.mail(down)
    assert mail.relay.inbox.received == []
    assert await mail.pending() == 1  # the event waits for a retry, with its failure counted

    await mail.mail(await mail.dispatcher())  # the relay is reachable again
    assert len(mail.inbox("prevention.quevy")) == 1
    assert len(mail.inbox("prevention.mons")) == 1
    assert ref in mail.inbox("prevention.mons")[0]["Subject"]
    assert await mail.pending() == 0
    await mail.mail()
    assert len(mail.relay.inbox.received) == 2


class Killed(BaseException):
    """The process dies (not an error a handler could catch)."""


class DiesAfterSending:
    """The real sender; the process is killed once the relay took a chunk, before the mark."""

    def __init__(self, sender: SmtpSender) -> None:
        self._sender = sender

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        async with self._sender.connection() as relay:
            yield Dying(relay)


@dataclass
class Dying:
    relay: Connection

    async def send(self, mails: Sequence[OutgoingMail]) -> SendReport:
        await self.relay.send(mails)
        raise Killed


async def test_a_crash_between_send_and_mark_sends_nothing_twice(mail: MailDesk) -> None:
    await mail.choose("prevention.quevy", "all")
    await mail.publish("green", SUMMARY)
    doomed = await mail.dispatcher(sender=DiesAfterSending(SmtpSender(mail.relay.settings())))
    with pytest.raises(Killed):
        await doomed.run_once()
    assert len(mail.inbox("prevention.quevy")) == 1

    restarted = await mail.dispatcher()  # the dead run's claim lapses; the event is taken again
    await mail.mail(restarted)
    assert len(mail.inbox("prevention.quevy")) == 1
    assert await mail.pending() == 0
    [send] = [
        s
        for s in await mail.deliveries.unfinished(mail.desk.clock() + timedelta(hours=1))
        if s.member.endswith("prevention.quevy:prevnet.test")
    ]
    assert send.state == SENDING  # in doubt: left for an operator, never sent again


async def test_a_mail_the_relay_took_is_recorded_as_sent(mail: MailDesk) -> None:
    await mail.choose("prevention.quevy", "all")
    await mail.publish("green", SUMMARY)
    await mail.mail()
    [got] = mail.inbox("prevention.quevy")
    send = await mail.deliveries.send(str(got["Message-ID"]))
    assert send is not None and send.state == SENT
    assert got["To"] == address("prevention.quevy")


async def test_without_email_settings_nothing_is_registered_nor_sent(
    db: Database, territories: TerritoryRegistry, tmp_path: Path
) -> None:
    async def link(alert: Alert, room: str) -> ChatLink:
        raise AssertionError("nothing is mailed")

    async def source(alert: Alert) -> str:
        raise AssertionError("nothing is mailed")

    settings = Settings(data_dir=tmp_path)
    found = await bulletin_mail_dispatcher(settings, db, territories, link, source, worker="w")
    assert found is None
    async with db.sessions() as session:
        assert await session.get(OutboxConsumerRow, "email") is None


async def test_a_mailbox_the_relay_refuses_holds_back_nobody(mail: MailDesk) -> None:
    for who in ("prevention.quevy", "prevention.mons"):
        await mail.choose(who, "all")
    mail.relay.inbox.refuse.add(address("prevention.mons"))
    await mail.publish("green", SUMMARY)
    await mail.mail()
    assert len(mail.inbox("prevention.quevy")) == 1
    assert mail.inbox("prevention.mons") == []
    assert await mail.pending() == 0  # a 550 is not retried for ever
    async with mail.desk.db.sessions() as session:
        [row] = await session.scalars(
            select(EmailSendRow).where(EmailSendRow.member == user("prevention.mons"))
        )
    assert row.state == RETRY and row.last_error is not None and "550" in row.last_error
