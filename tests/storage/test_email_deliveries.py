"""E-mail choices and sends on SQLite and PostgreSQL: nobody is mailed twice, nor unasked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from phenomena.email_policy import EmailPreference
from phenomena.errors import InvalidValue
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SqlEmailDeliveries

JAN = "@jan:prevnet.example"
CLAIRE = "@claire:prevnet.example"
MID = "<alert-12.abc@prevnet.example>"


async def test_nobody_gets_email_until_they_choose_it(db: Database) -> None:
    store = SqlEmailDeliveries(db)
    assert await store.preference(JAN) is EmailPreference.NONE
    await store.set_preference(JAN, EmailPreference.ALL)
    await store.set_preference(CLAIRE, EmailPreference.DIGEST)
    await store.set_preference(CLAIRE, EmailPreference.parse(" None "))  # unsubscribed
    assert await store.preferences([JAN, CLAIRE, "@new:prevnet.example"]) == {
        JAN: EmailPreference.ALL,
        CLAIRE: EmailPreference.NONE,
        "@new:prevnet.example": EmailPreference.NONE,
    }
    assert await store.preferences([]) == {}


def test_an_unknown_choice_says_what_to_write() -> None:
    with pytest.raises(InvalidValue, match="write all, digest or none"):
        EmailPreference.parse("weekly")


async def test_a_sent_mail_is_never_claimed_again(db: Database) -> None:
    store = SqlEmailDeliveries(db)
    assert await store.claim(MID, JAN, "bulletin", alert_id=12)
    assert not await store.claim(MID, JAN, "bulletin", alert_id=12)  # in flight
    await store.mark_sent(MID)
    assert not await store.claim(MID, JAN, "bulletin", alert_id=12)
    sent = await store.send(MID)
    assert sent is not None and sent.state == "sent" and sent.sent_at is not None
    assert sent.alert_id == 12 and sent.member == JAN and sent.attempts == 1


async def test_a_crash_mid_send_leaves_a_claim_an_operator_sees_and_nothing_resent(
    db: Database,
) -> None:
    clock = [datetime(2026, 12, 1, 10, tzinfo=UTC)]
    store = SqlEmailDeliveries(db, clock=lambda: clock[0])
    assert await store.claim(MID, JAN, "bulletin", alert_id=12)
    # the process dies here; a new one starts an hour later
    clock[0] += timedelta(hours=1)
    restarted = SqlEmailDeliveries(db, clock=lambda: clock[0])
    assert not await restarted.claim(MID, JAN, "bulletin", alert_id=12)
    stuck = await restarted.unfinished(clock[0] - timedelta(minutes=10))
    assert [s.message_id for s in stuck] == [MID]


async def test_a_refused_send_is_retried_and_counted(db: Database) -> None:
    store = SqlEmailDeliveries(db)
    assert await store.claim(MID, JAN, "bulletin", alert_id=12)
    await store.mark_retry(MID, "451 4.3.0 try again later")
    retry = await store.send(MID)
    assert retry is not None and retry.state == "retry" and retry.last_error
    assert await store.claim(MID, JAN, "bulletin", alert_id=12)
    await store.mark_sent(MID)
    done = await store.send(MID)
    assert done is not None and done.attempts == 2 and done.last_error is None


async def test_marking_an_unclaimed_mail_says_to_claim_it(db: Database) -> None:
    store = SqlEmailDeliveries(db)
    with pytest.raises(LookupError, match="claim it before sending"):
        await store.mark_sent(MID)


async def test_two_senders_racing_for_one_mail_get_one_claim(db: Database) -> None:
    store = SqlEmailDeliveries(db)
    won = await asyncio.gather(*(store.claim(MID, JAN, "bulletin", 12) for _ in range(8)))
    assert sorted(won) == [False] * 7 + [True]
