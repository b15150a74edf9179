"""The outbox: claims are leases, retries skip handlers that finished, two workers never share."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from phenomena.events import MemberAdded
from phenomena.partners_file import parse_partner_file
from phenomena.services.partners import import_partners
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.schema import OutboxConsumerRow
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from tests.unit.test_partners_file import GOOD


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def seed(db: Database, territories: TerritoryRegistry, clock: Clock | None = None) -> int:
    clock = clock or Clock()
    await import_partners(
        SqlUnitOfWork(db.sessions, clock), parse_partner_file(GOOD, territories), "t", clock()
    )
    return len(await Outbox(db, "x").events())


async def test_claim_deliver_and_retry(db: Database, territories: TerritoryRegistry) -> None:
    clock = Clock()
    total = await seed(db, territories, clock)
    assert total == 6
    worker = Outbox(db, "w1", clock)
    batch = await worker.claim(limit=10)
    assert len(batch) == total
    assert await worker.claim() == []  # leased: nobody else gets them
    first, second = batch[0], batch[1]
    await worker.mark_delivered(first.id)
    await worker.mark_handled(second.id, "matrix")
    await worker.mark_failed(second.id, "homeserver down", clock.now + timedelta(seconds=30))
    for message in batch[2:]:
        await worker.mark_delivered(message.id)
    stats = await worker.stats()
    assert stats.pending == 1 and stats.failing == 1 and stats.oldest == clock.now
    assert await worker.claim() == []  # not due yet
    clock.now += timedelta(seconds=31)
    (retry,) = await worker.claim()
    assert retry.id == second.id and retry.attempts == 1
    assert retry.handled == {"matrix"}
    await worker.mark_delivered(retry.id)
    assert (await worker.stats()).pending == 0


async def test_a_dead_worker_lease_runs_out(db: Database, territories: TerritoryRegistry) -> None:
    clock = Clock()
    await seed(db, territories, clock)
    dead = Outbox(db, "dead", clock)
    taken = await dead.claim(limit=2, lease=timedelta(seconds=60))
    other = Outbox(db, "alive", clock)
    assert {m.id for m in await other.claim(limit=10)}.isdisjoint({m.id for m in taken})
    clock.now += timedelta(seconds=61)
    again = await other.claim(limit=10)
    assert {m.id for m in again} >= {m.id for m in taken}


async def test_concurrent_claims_never_share_an_event(
    db: Database, territories: TerritoryRegistry
) -> None:
    for _ in range(5):
        for i in range(10):
            text = GOOD.replace("@bob:", f"@bob{i}x{_}:").replace("@alice:", f"@alice{i}x{_}:")
            await import_partners(
                SqlUnitOfWork(db.sessions), parse_partner_file(text, territories), "t", Clock()()
            )
    total = len(await Outbox(db, "x").events())
    workers = [Outbox(db, f"w{i}") for i in range(4)]
    claimed: list[int] = []

    async def drain(worker: Outbox) -> None:
        while batch := await worker.claim(limit=3):
            assert len(batch) <= 3
            claimed.extend(m.id for m in batch)
            for m in batch:
                await worker.mark_delivered(m.id)

    await asyncio.gather(*(drain(w) for w in workers))
    assert len(claimed) == total == len(set(claimed))
    events = [e for _, e in await Outbox(db, "x").events(delivered=True)]
    assert sum(isinstance(e, MemberAdded) for e in events) == 100


async def test_a_restarted_worker_takes_back_its_own_claims(
    db: Database, territories: TerritoryRegistry
) -> None:
    clock = Clock()
    await seed(db, territories, clock)
    crashed = Outbox(db, "up-DEVICE", clock)
    taken = await crashed.claim(limit=3)
    assert len(taken) == 3
    other = Outbox(db, "up-OTHER", clock)
    assert await other.release_own_claims() == 0
    restarted = Outbox(db, "up-DEVICE", clock)
    assert await restarted.release_own_claims() == 3
    assert {m.id for m in taken} <= {m.id for m in await restarted.claim(limit=10)}


async def test_each_service_has_its_own_copy_of_the_events(
    db: Database, territories: TerritoryRegistry
) -> None:
    before = await seed(db, territories)  # committed before the bridge existed
    bridge = Outbox(db, "bridge-1", consumer="bridge")
    assert await bridge.register() is True
    assert await Outbox(db, "bridge-2", consumer="bridge").register() is False  # one copy
    assert await bridge.events() == []  # it receives what is committed from now on
    async with SqlUnitOfWork(db.sessions) as unit:
        unit.record(MemberAdded(matrix_id="@new:x", organisation="pcs-mons"))
        await unit.commit()
    bots = Outbox(db, "up-1")
    assert len(await bots.events()) == before + 1
    assert [e for _, e in await bridge.events()] == [MemberAdded("@new:x", "pcs-mons")]
    for message in await bots.claim(limit=100):
        await bots.mark_delivered(message.id)
    assert (await bots.stats()).pending == 0
    assert (await bridge.stats()).pending == 1  # the bots' progress is not the bridge's
    [claimed] = await bridge.claim()
    assert claimed.event == MemberAdded("@new:x", "pcs-mons")


async def test_every_event_of_a_transaction_reaches_every_consumer_once(db: Database) -> None:
    assert await Outbox(db, "bridge-1", consumer="bridge").register() is True
    events = [MemberAdded(f"@m{n}:x", "pcs-mons") for n in range(3)]
    async with SqlUnitOfWork(db.sessions) as unit:
        for event in events:
            unit.record(event)
        await unit.commit()
    for consumer in ("bots", "bridge"):
        got = await Outbox(db, "w", consumer=consumer).events()
        assert [e for _, e in got] == events, consumer


async def test_with_no_consumer_registered_the_bots_still_get_the_events(db: Database) -> None:
    async with db.sessions() as session, session.begin():
        await session.execute(delete(OutboxConsumerRow))  # e.g. a hand-edited database
    async with SqlUnitOfWork(db.sessions) as unit:
        unit.record(MemberAdded("@new:x", "pcs-mons"))
        await unit.commit()
    assert [e for _, e in await Outbox(db, "up-1").events()] == [MemberAdded("@new:x", "pcs-mons")]
    assert await Outbox(db, "bridge-1", consumer="bridge").events() == []
