"""Bulletin e-mails go a chunk at a time over one connection: a crash or a relay failure in the
second chunk leaves at most that chunk in doubt, the next run sends the rest exactly once, and a
mail that cannot be written is set aside while the others go."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from phenomena.alert import Alert
from phenomena.alert_text import parse_alert_text
from phenomena.email_policy import EmailPreference
from phenomena.events import AlertPublished
from phenomena.partners import (
    Member,
    Organisation,
    OrganisationKind,
    Role,
    TerritoryKind,
    TerritoryRef,
)
from phenomena.partners_file import PartnerDocument
from phenomena.services.alerts import ModerationPolicy, create_alert
from phenomena.services.partners import import_partners
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SENDING, SENT, Claim, SqlEmailDeliveries
from phenomena.storage.schema import EmailSendRow
from phenomena.storage.unit_of_work import SqlUnitOfWork, utc_now
from phenomena.territory import TerritoryRegistry
from prevnet.mail.bulletin_delivery import BulletinMailer
from prevnet.mail.bulletin_mail import ChatLink
from prevnet.mail.bulletin_wiring import mail_setup, mail_signer
from prevnet.mail.mail_chunks import Connection, PendingMail, send_once
from prevnet.mail.sender import MailSendError, OutgoingMail, SendReport, SmtpSender
from prevnet.settings import Settings
from tests.mail.smtp_relay import Inbox, Relay, free_port

SERVER = "chunks.test"
MEMBERS = 8
CHUNK = 3  # chunks of 3, 3 and 2 mails
K = 1  # mails of the second chunk the relay takes before things go wrong


class Killed(BaseException):
    """The process dies (not an error a handler could catch)."""


@dataclass
class CountingInbox(Inbox):
    """Keeps what arrives, and counts the SMTP sessions opened (one EHLO each)."""

    sessions: int = 0

    async def handle_EHLO(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: Any
    ) -> Any:
        self.sessions += 1
        session.host_name = hostname
        return responses


@pytest.fixture
def relay() -> Iterator[Relay]:
    inbox = CountingInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Relay(inbox, port)
    finally:
        controller.stop()


@dataclass
class FailsInSecondChunk:
    """The real sender, over one real connection; in the second chunk, after the relay took
    ``K`` mails, the process dies (``crash``) or the relay hangs up on the next one."""

    sender: SmtpSender
    crash: bool
    chunks: list[int] = field(default_factory=list)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        async with self.sender.connection() as relay:
            yield Failing(relay, self)


@dataclass
class Failing:
    relay: Connection
    plan: FailsInSecondChunk

    async def send(self, mails: Sequence[OutgoingMail]) -> SendReport:
        self.plan.chunks.append(len(mails))
        if len(self.plan.chunks) != 2:
            return await self.relay.send(mails)
        report = await self.relay.send(mails[:K])
        if self.plan.crash:
            raise Killed
        raise MailSendError(
            "the relay hung up", transient=True, sent=report.sent, unknown=[mails[K].message_id]
        )


@dataclass
class Zone:
    db: Database
    territories: TerritoryRegistry
    relay: Relay
    settings: Settings
    alert: Alert

    def mailer(self, sender: Any) -> BulletinMailer:
        email = self.settings.email
        assert email is not None
        setup = mail_setup(self.settings, email, mail_signer(email, self.settings.data_dir))

        async def chat_link(alert: Alert, room: str) -> ChatLink:
            return ChatLink(f"!{room}:{SERVER}")

        async def source_of(alert: Alert) -> str:
            return "Zone police (Author)"

        return BulletinMailer(
            lambda: SqlUnitOfWork(self.db.sessions),
            SqlEmailDeliveries(self.db),
            sender,
            setup,
            self.territories,
            chat_link,
            source_of,
            chunk_size=CHUNK,
        )

    async def mail(self, sender: Any) -> None:
        event = AlertPublished(alert_id=self.alert.id, tlp="TLP:GREEN", rooms=())
        await self.mailer(sender).handle(event)

    def real_sender(self) -> SmtpSender:
        assert self.settings.email is not None
        return SmtpSender(self.settings.email)

    def mailed(self) -> Counter[str]:
        return Counter(r for got in self.relay.inbox.received for r in got.rcpt_tos)

    async def states(self) -> Counter[str]:
        async with self.db.sessions() as session:
            rows = await session.scalars(select(EmailSendRow))
            return Counter(row.state for row in rows)


@pytest.fixture
async def zone(db: Database, territories: TerritoryRegistry, relay: Relay, tmp_path: Path) -> Zone:
    key = sorted(territories.zones)[0]
    org = Organisation(
        "zp-test", "Zone police", OrganisationKind.POLICE_ZONE,
        (TerritoryRef(TerritoryKind.ZONE, key),),
    )  # fmt: skip
    author = Member(f"@author:{SERVER}", "Author", org.key, frozenset({Role.MEMBER, Role.AUTHOR}))
    readers = [
        Member(f"@r{n}:{SERVER}", f"Reader {n}", org.key, frozenset({Role.MEMBER}), f"r{n}@x.test")
        for n in range(MEMBERS)
    ]
    document = PartnerDocument((org,), (author, *readers), {})
    await import_partners(SqlUnitOfWork(db.sessions), document, "test", utc_now())
    deliveries = SqlEmailDeliveries(db)
    for reader in readers:
        await deliveries.set_preference(reader.matrix_id, EmailPreference.ALL)
    text = parse_alert_text(
        f"type: residential-burglary\narea: {territories.zones[key].municipalities[0]}\n"
        "from: 2026-11-20\ntlp: green\nsummary: Rear doors forced in daylight.\n",
        territories,
    )
    alert, _ = await create_alert(
        SqlUnitOfWork(db.sessions), text, author.matrix_id, territories, ModerationPolicy(),
        utc_now(),
    )  # fmt: skip
    email = relay.settings(secret="s" * 40)
    settings = Settings(data_dir=tmp_path, email=email, public_url="https://prevnet.test")
    return Zone(db, territories, relay, settings, alert)


async def test_a_crash_in_the_second_chunk_leaves_that_chunk_in_doubt_and_sends_the_rest_once(
    zone: Zone,
) -> None:
    dying = FailsInSecondChunk(zone.real_sender(), crash=True)
    with pytest.raises(Killed):
        await zone.mail(dying)

    assert dying.chunks == [CHUNK, CHUNK]
    assert sum(zone.mailed().values()) == CHUNK + K
    # the first chunk is recorded sent; only the second is in doubt; the rest was never claimed
    assert await zone.states() == {SENT: CHUNK, SENDING: CHUNK}

    await zone.mail(zone.real_sender())  # the outbox runs the event again

    got = zone.mailed()
    assert max(got.values()) == 1  # nothing sent twice
    assert len(got) == MEMBERS - (CHUNK - K)  # the never-claimed rest went, once
    assert await zone.states() == {SENT: MEMBERS - CHUNK, SENDING: CHUNK}
    in_doubt = await SqlEmailDeliveries(zone.db).unfinished(utc_now() + timedelta(hours=1))
    assert len(in_doubt) == CHUNK  # listed for an operator, never resent


async def test_a_relay_failure_in_the_second_chunk_retries_its_unsent_mails_and_the_rest(
    zone: Zone,
) -> None:
    hanging_up = FailsInSecondChunk(zone.real_sender(), crash=False)
    with pytest.raises(MailSendError) as failed:
        await zone.mail(hanging_up)

    assert len(failed.value.sent) == CHUNK + K  # every mail the relay took in this run
    assert await zone.states() == {SENT: CHUNK + K, SENDING: 1, "retry": CHUNK - K - 1}

    await zone.mail(zone.real_sender())

    got = zone.mailed()
    assert max(got.values()) == 1
    assert len(got) == MEMBERS - 1  # all but the one in flight, which is never resent
    assert await zone.states() == {SENT: MEMBERS - 1, SENDING: 1}


async def test_every_chunk_of_an_event_goes_over_one_connection(zone: Zone) -> None:
    await zone.mail(zone.real_sender())

    assert zone.mailed() == dict.fromkeys((f"r{n}@x.test" for n in range(MEMBERS)), 1)
    assert isinstance(zone.relay.inbox, CountingInbox)
    assert zone.relay.inbox.sessions == 1
    assert await zone.states() == {SENT: MEMBERS}

    await zone.mail(zone.real_sender())  # all sent: nothing claimed, no connection opened
    assert zone.relay.inbox.sessions == 1
    assert sum(zone.mailed().values()) == MEMBERS


async def test_a_mail_that_cannot_be_written_is_set_aside_and_the_others_go(zone: Zone) -> None:
    def mail(n: int) -> OutgoingMail:
        content = f"From: a@x.test\r\nTo: r{n}@x.test\r\nMessage-ID: <m{n}@x.test>\r\n\r\nhi\r\n"
        return OutgoingMail(f"<m{n}@x.test>", "a@x.test", (f"r{n}@x.test",), content.encode())

    def broken() -> OutgoingMail:
        raise ValueError("a line break in a name")

    claims = [
        Claim(f"<m{n}@x.test>", f"@r{n}:{SERVER}", "bulletin", zone.alert.id) for n in range(5)
    ]
    pending = [PendingMail.written(c, mail(n)) for n, c in enumerate(claims)]
    pending[3] = PendingMail(claims[3], broken)
    told: list[tuple[str, str]] = []
    deliveries = SqlEmailDeliveries(zone.db)

    report = await send_once(
        zone.real_sender(), deliveries, pending, 2, lambda c, why: told.append((c.member, why))
    )

    assert len(report.sent) == 4
    assert sorted(zone.mailed()) == [f"r{n}@x.test" for n in (0, 1, 2, 4)]
    assert told == [(f"@r3:{SERVER}", "could not be written: a line break in a name")]
    aside = await deliveries.send("<m3@x.test>")
    assert aside is not None and aside.state == "retry"
    assert aside.last_error == "could not be written: a line break in a name"
