"""The weekly digest by e-mail: members who chose ``digest`` get one mail a week with the chart
inline, through a real relay on 127.0.0.1, on SQLite and PostgreSQL (issue 17, item 5)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SENT
from phenomena.territory import TerritoryRegistry
from prevnet.mail.digest_mail import digest_mailer
from prevnet.mail.sender import MailSendError, SmtpConnection, SmtpSender
from prevnet.settings import Settings
from tests.mail.bulletin_desk import MailDesk, address
from tests.mail.digest_desk import chart_of, mailer, send_digests
from tests.mail.smtp_relay import Relay, free_port, relay
from tests.mail.support import html_body, plain
from tests.support.alert_desk import Desk, user

__all__ = ["relay"]

GREEN_SUMMARY = "Rear doors forced in Hyon and Nimy in daylight"
AMBER_SUMMARY = "A white van seen near the schools at dawn"
OOSTENDE = """!alert new
type: residential-burglary
area: Oostende
from: 2026-11-14
to: 2026-11-20
tlp: green
summary: {summary}"""


@pytest.fixture
async def mail(
    db: Database, territories: TerritoryRegistry, relay: Relay, tmp_path: Path
) -> MailDesk:
    desk = Desk(db, territories)
    await desk.load_demo()
    found = MailDesk(desk, relay, tmp_path)
    await found.start()
    return found


async def test_a_digest_member_gets_one_mail_with_the_chart_inline(mail: MailDesk) -> None:
    await mail.choose("prevention.quevy", "digest")
    green = await mail.publish("green", GREEN_SUMMARY)
    amber = await mail.publish("amber", AMBER_SUMMARY)

    assert await send_digests(mail) == 1

    [got] = mail.inbox("prevention.quevy")
    assert got.get_content_type() == "multipart/alternative"
    assert got["List-Unsubscribe"].startswith("<https://prevnet.test/mail/unsubscribe/")
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = plain(got)
    assert GREEN_SUMMARY in text and green in text  # GREEN in full
    assert amber in text and "TLP:AMBER" in text and "reste dans Matrix" in text  # French room
    assert AMBER_SUMMARY not in text and AMBER_SUMMARY not in html_body(got)
    cid, png = chart_of(got)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert f'src="cid:{cid}"' in html_body(got)
    [related] = [p for p in got.walk() if p.get_content_type() == "multipart/related"]
    assert [p.get_content_type() for p in related.iter_parts()] == ["text/html", "image/png"]


async def test_all_and_none_members_get_no_digest(mail: MailDesk) -> None:
    await mail.choose("prevention.quevy", "all")
    await mail.choose("prevention.mons", "none")
    await mail.choose("prevention.frameries", "digest")
    await mail.publish("green", GREEN_SUMMARY)

    await send_digests(mail)

    assert mail.addressees() == {address("prevention.frameries")}


async def test_running_the_job_twice_in_a_week_sends_once(mail: MailDesk) -> None:
    mail.desk.clock.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
    await mail.choose("prevention.quevy", "digest")
    await mail.publish("green", GREEN_SUMMARY)

    assert await send_digests(mail) == 1
    assert await send_digests(mail) == 0  # the same process again
    mail.desk.clock.now += timedelta(days=3)  # Thursday
    assert await mailer(mail).send_week(mail.desk.clock().date()) == 0  # restarted, same week
    [got] = mail.inbox("prevention.quevy")
    record = await mail.deliveries.send(str(got["Message-ID"]))
    assert record is not None and record.state == SENT and record.kind == "digest"
    assert record.member == user("prevention.quevy")

    mail.desk.clock.now += timedelta(days=7)
    assert await send_digests(mail) == 1  # the next week has its own digest
    first, second = mail.inbox("prevention.quevy")
    assert first["Message-ID"] != second["Message-ID"]


async def test_a_week_with_nothing_open_or_new_sends_nothing(mail: MailDesk) -> None:
    await mail.choose("prevention.quevy", "digest")
    assert await send_digests(mail) == 0
    assert mail.relay.inbox.received == []


def test_without_email_settings_there_is_no_digest_mailer(
    territories: TerritoryRegistry, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path)
    assert digest_mailer(settings, None, territories) is None  # type: ignore[arg-type]


async def test_a_run_after_the_relay_was_down_sends_the_weeks_digest(mail: MailDesk) -> None:
    await mail.choose("prevention.quevy", "digest")
    await mail.publish("green", GREEN_SUMMARY)
    down = digest_mailer(
        mail.settings(relay_port=free_port()),
        mail.desk.db,
        mail.desk.territories,
        clock=mail.desk.clock,
    )
    assert down is not None
    with pytest.raises(MailSendError, match="nothing was sent"):
        await down.send_week(mail.desk.clock().date())

    assert await send_digests(mail) == 1  # run again the same week, the relay back
    assert len(mail.inbox("prevention.quevy")) == 1


async def test_the_weekly_job_waits_for_a_relay_that_is_down_and_then_mails_once(
    mail: MailDesk,
) -> None:
    await mail.choose("prevention.quevy", "digest")
    await mail.publish("green", GREEN_SUMMARY)
    email = mail.settings().email
    assert email is not None
    relay = SmtpSender(email)
    calls = 0

    class DownTwice:
        """The relay refuses the connection twice, then takes the mails."""

        @contextlib.asynccontextmanager
        async def connection(self) -> AsyncIterator[SmtpConnection]:
            nonlocal calls
            calls += 1
            if calls <= 2:
                raise MailSendError("the relay is down: nothing was sent", transient=True)
            async with relay.connection() as connection:
                yield connection

    waits: list[float] = []

    async def waited(seconds: float) -> None:
        waits.append(seconds)

    job = digest_mailer(
        mail.settings(),
        mail.desk.db,
        mail.desk.territories,
        sender=DownTwice(),
        clock=mail.desk.clock,
    )
    assert job is not None
    today = mail.desk.clock().date()
    assert await job.send_week_retrying(today, first_delay=60, sleep=waited) == 1
    assert waits == [60, 120]
    assert len(mail.inbox("prevention.quevy")) == 1
    assert await job.send_week_retrying(today, sleep=waited) == 0  # the week's mail went
    assert len(mail.inbox("prevention.quevy")) == 1


async def test_the_digest_is_in_the_language_of_the_members_room(mail: MailDesk) -> None:
    await mail.choose("preventie.oostende", "digest")
    reply = await mail.desk.say(
        "analist.oostende",
        OOSTENDE.format(summary="Inbraken langs de dijk"),
    )
    assert reply is not None and reply.text.startswith("Draft "), reply
    ref = reply.text.split()[1].rstrip(":")
    await mail.desk.say("analist.oostende", f"!alert publish {ref}")

    assert await send_digests(mail) == 1
    [got] = mail.inbox("preventie.oostende")
    assert "Weekly" not in got["Subject"] and "overzicht" in got["Subject"].lower(), got["Subject"]
    assert "Inbraken langs de dijk" in plain(got)
