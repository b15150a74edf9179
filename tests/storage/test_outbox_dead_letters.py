"""Dead letters in the outbox: set aside, never claimed, not pending; retried or dropped by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from phenomena.errors import DomainError, NotFound
from phenomena.events import MemberAdded
from phenomena.storage.database import Database
from phenomena.storage.dead_letters import DeadLetters
from phenomena.storage.outbox import DEAD, DROPPED, PENDING, Outbox
from phenomena.storage.schema import OutboxRow
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from tests.storage.test_outbox import Clock, seed


async def test_a_dead_letter_is_set_aside_not_claimed_and_not_pending(
    db: Database, territories: TerritoryRegistry
) -> None:
    clock = Clock()
    total = await seed(db, territories, clock)
    worker = Outbox(db, "w", clock)
    batch = await worker.claim(limit=10)
    poison, rest = batch[0], batch[1:]
    entry = await worker.mark_dead(poison.id, "matrix-membership: MatrixAdminError (HTTP 400)")
    assert entry.state == DEAD and entry.attempts == 1 and entry.changed_at == clock.now
    assert entry.reason == "matrix-membership: MatrixAdminError (HTTP 400)"
    stats = await worker.stats()
    assert stats.pending == total - 1 and stats.dead == 1 and stats.failing == 0
    clock.now += timedelta(hours=2)  # every lease has run out: only the others come back
    again = await Outbox(db, "other", clock).claim(limit=10)
    assert sorted(m.id for m in again) == sorted(m.id for m in rest)
    for message in again:
        await worker.mark_delivered(message.id)
    stats = await worker.stats()
    assert stats.pending == 0 and stats.oldest is None and stats.dead == 1


async def test_retry_makes_a_dead_letter_due_now_with_its_attempts_reset(
    db: Database, territories: TerritoryRegistry
) -> None:
    clock = Clock()
    await seed(db, territories, clock)
    worker = Outbox(db, "w", clock)
    poison = (await worker.claim(limit=10))[0]
    await worker.mark_failed(poison.id, "h: LookupError", clock.now + timedelta(seconds=2))
    await worker.mark_dead(poison.id, "h: LookupError")
    letters = DeadLetters(db, clock)
    (retried,) = await letters.retry([poison.id], "cli:ops")
    assert retried.id == poison.id and retried.attempts == 2
    assert (await worker.stats()).dead == 0
    clock.now += timedelta(minutes=5)
    claimed = {m.id: m for m in await Outbox(db, "w2", clock).claim(limit=10)}
    assert claimed[poison.id].attempts == 0
    async with SqlUnitOfWork(db.sessions) as uow:
        (audit,) = await uow.audit.list(subject=f"outbox:{poison.id}")
    assert audit.action == "outbox.retry" and audit.actor == "cli:ops"
    assert audit.details["reason"] == "h: LookupError"


async def test_retry_all_takes_every_dead_letter_of_every_consumer(
    db: Database, territories: TerritoryRegistry
) -> None:
    clock = Clock()
    await seed(db, territories, clock)
    bots, bridge = Outbox(db, "w", clock), Outbox(db, "b", clock, consumer="bridge")
    await bridge.enqueue([MemberAdded(matrix_id="@a:prevnet.example", organisation="x")])
    dead_bots = (await bots.claim(limit=10))[0]
    dead_bridge = (await bridge.claim())[0]
    await bots.mark_dead(dead_bots.id, "a")
    await bridge.mark_dead(dead_bridge.id, "b")
    listed = await DeadLetters(db, clock).failed()
    assert [(e.id, e.consumer) for e in listed] == [
        (dead_bots.id, "bots"),
        (dead_bridge.id, "bridge"),
    ]
    retried = await DeadLetters(db, clock).retry(None, "cli:ops")
    assert sorted(e.id for e in retried) == sorted([dead_bots.id, dead_bridge.id])
    assert await DeadLetters(db, clock).failed() == []
    assert await DeadLetters(db, clock).retry(None, "cli:ops") == []


async def test_drop_records_it_as_never_delivered(
    db: Database, territories: TerritoryRegistry
) -> None:
    clock = Clock()
    total = await seed(db, territories, clock)
    worker = Outbox(db, "w", clock)
    poison = (await worker.claim(limit=10))[0]
    await worker.mark_dead(poison.id, "h: MatrixSendError M_TOO_LARGE (HTTP 413)")
    dropped = await DeadLetters(db, clock).drop(poison.id, "cli:ops")
    assert dropped.state == DEAD  # as it was when dropped
    async with db.sessions() as session:
        row = await session.get(OutboxRow, poison.id)
        assert row is not None and row.state == DROPPED and row.delivered_at is None
    stats = await worker.stats()
    assert stats.dead == 0 and stats.pending == total - 1
    assert poison.id not in [e.id for e in await DeadLetters(db, clock).failed()]
    clock.now += timedelta(hours=1)
    assert poison.id not in [m.id for m in await Outbox(db, "w2", clock).claim(limit=10)]
    with pytest.raises(DomainError, match="was dropped already"):
        await DeadLetters(db, clock).drop(poison.id, "cli:ops")
    with pytest.raises(DomainError, match="was dropped; only dead letters"):
        await DeadLetters(db, clock).retry([poison.id], "cli:ops")
    async with SqlUnitOfWork(db.sessions) as uow:
        (audit,) = await uow.audit.list(subject=f"outbox:{poison.id}")
    assert audit.action == "outbox.drop" and audit.details["event"] == poison.event.name


async def test_unknown_ids_and_events_in_delivery_are_refused_clearly(
    db: Database, territories: TerritoryRegistry
) -> None:
    clock = Clock()
    await seed(db, territories, clock)
    letters = DeadLetters(db, clock)
    with pytest.raises(NotFound, match="there is no outbox event 999; `prevnet outbox list`"):
        await letters.drop(999, "cli:ops")
    with pytest.raises(NotFound, match="no outbox event 999"):
        await letters.retry([999], "cli:ops")
    claimed = (await Outbox(db, "w", clock).claim(limit=1))[0]
    with pytest.raises(DomainError, match="being delivered right now"):
        await letters.drop(claimed.id, "cli:ops")
    delivered = (await Outbox(db, "w", clock).claim(limit=1))[0]
    await Outbox(db, "w", clock).mark_delivered(delivered.id)
    with pytest.raises(DomainError, match="was delivered"):
        await letters.retry([delivered.id], "cli:ops")


async def test_list_shows_dead_letters_and_events_still_failing_without_their_text(
    db: Database, territories: TerritoryRegistry
) -> None:
    clock = Clock()
    await seed(db, territories, clock)
    worker = Outbox(db, "w", clock)
    batch = await worker.claim(limit=10)
    members = [m for m in batch if isinstance(m.event, MemberAdded)]
    await worker.mark_dead(members[0].id, "matrix-membership: MatrixAdminError (HTTP 400)")
    await worker.mark_failed(members[1].id, "matrix-membership: TimeoutError", clock.now)
    for message in batch:
        if message not in members:
            await worker.mark_delivered(message.id)
    dead, failing = await DeadLetters(db, clock).failed()
    assert (dead.state, failing.state) == (DEAD, PENDING)
    assert isinstance(members[0].event, MemberAdded)
    assert dead.subject == members[0].event.matrix_id
    assert dead.event_type == "MemberAdded" and dead.attempts == 1
    assert failing.reason == "matrix-membership: TimeoutError" and failing.attempts == 1


async def test_an_unreadable_event_is_set_aside_and_the_others_are_claimed(
    db: Database, territories: TerritoryRegistry
) -> None:
    clock = Clock()
    total = await seed(db, territories, clock)
    async with db.sessions() as session, session.begin():
        first = await session.scalar(select(func.min(OutboxRow.id)))
        await session.execute(
            update(OutboxRow).where(OutboxRow.id == first).values(event_type="NoSuchEvent")
        )
    worker = Outbox(db, "w", clock)
    batch = await worker.claim(limit=10)
    assert len(batch) == total - 1 and first not in [m.id for m in batch]
    (aside,) = worker.set_aside()
    assert aside.id == first and aside.reason == "unreadable 'NoSuchEvent': ValueError"
    assert worker.set_aside() == []
    assert (await worker.stats()).dead == 1
