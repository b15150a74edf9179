"""E-mail choices and sends on SQLite and PostgreSQL: nobody is mailed twice, nor unasked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from phenomena.email_policy import EmailPreference
from phenomena.errors import InvalidValue
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import (
    RETRY,
    SENDING,
    SENT,
    Claim,
    Fates,
    SqlEmailDeliveries,
)

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


def chunk(*numbers: int) -> list[Claim]:
    return [Claim(f"<alert-12.m{n}@prevnet.example>", f"@m{n}:x", "bulletin", 12) for n in numbers]


async def test_a_chunk_is_claimed_at_once_leaving_out_what_was_sent_or_is_being_sent(
    db: Database,
) -> None:
    store = SqlEmailDeliveries(db)
    first = chunk(0, 1, 2)
    assert await store.claim_many(first) == {c.message_id for c in first}
    await store.record(Fates(sent=(first[0].message_id,), retry={first[1].message_id: "451 later"}))

    again = await store.claim_many(chunk(0, 1, 2, 3, 3))  # m2 is still being sent
    assert again == {first[1].message_id, chunk(3)[0].message_id}
    retried = await store.send(first[1].message_id)
    assert retried is not None and retried.attempts == 2 and retried.state == SENDING
    assert await store.claim_many([]) == set()


async def test_a_chunks_fates_are_recorded_together(db: Database) -> None:
    store = SqlEmailDeliveries(db)
    sent, later, doubt = (c.message_id for c in chunk(0, 1, 2))
    await store.claim_many(chunk(0, 1, 2))
    with pytest.raises(LookupError, match=r"m9.*claim it before sending"):
        await store.record(
            Fates(
                sent=(sent, "<alert-12.m9@prevnet.example>"),
                retry={later: "451 try later"},
                unknown={doubt: "connection lost"},
            )
        )
    states = {m: await store.send(m) for m in (sent, later, doubt)}
    assert {m: s.state for m, s in states.items() if s} == {
        sent: SENT,
        later: RETRY,
        doubt: SENDING,
    }  # the others were recorded all the same
    [unknown] = await store.unfinished(datetime(2000, 1, 1, tzinfo=UTC))
    assert unknown.message_id == doubt  # in doubt: listed at once, never claimed again
    assert await store.claim_many(chunk(0, 1, 2)) == {later}


async def test_a_chunks_fates_are_recorded_as_the_next_chunk_is_claimed(db: Database) -> None:
    store = SqlEmailDeliveries(db)
    first = [c.message_id for c in chunk(0, 1)]
    await store.claim_many(chunk(0, 1))
    fates = Fates(sent=(first[0],), retry={first[1]: "451 try later"})
    assert await store.claim_many(chunk(2, 3), recording=fates) == {
        c.message_id for c in chunk(2, 3)
    }
    got = [await store.send(m) for m in first]
    assert [s.state for s in got if s] == [SENT, RETRY]


async def test_two_senders_racing_for_overlapping_chunks_share_them_out(db: Database) -> None:
    store = SqlEmailDeliveries(db)
    won = await asyncio.gather(
        store.claim_many(chunk(*range(0, 30))),
        store.claim_many(chunk(*reversed(range(10, 40)))),
        store.claim_many(chunk(*range(20, 50))),
    )
    everyone = [m for claimed in won for m in claimed]
    assert sorted(everyone) == sorted(c.message_id for c in chunk(*range(50)))  # each once
