"""The dispatcher: every event reaches every handler once, failures are retried, nothing is lost."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from phenomena.events import Event, MemberAdded, OrganisationAdded
from phenomena.partners_file import parse_partner_file
from phenomena.services.partners import import_partners
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Dispatcher, Subscription, backoff
from tests.unit.test_partners_file import GOOD


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_flaky_handlers_get_every_event_exactly_once(
    db: Database, territories: TerritoryRegistry
) -> None:
    clock = Clock()
    await import_partners(
        SqlUnitOfWork(db.sessions, clock), parse_partner_file(GOOD, territories), "t", clock()
    )
    rng = random.Random(7)
    delivered: dict[str, list[Event]] = {"flaky": [], "steady": []}

    async def flaky(event: Event) -> None:
        if rng.random() < 0.4:
            raise ConnectionError("homeserver down")
        delivered["flaky"].append(event)

    async def steady(event: Event) -> None:
        delivered["steady"].append(event)

    subs = [
        Subscription("steady", (MemberAdded, OrganisationAdded), steady),
        Subscription("flaky", (MemberAdded,), flaky),
    ]
    outbox = Outbox(db, "w", clock)
    dispatcher = Dispatcher(outbox, subs, clock=clock)
    for _ in range(40):
        await dispatcher.run_once()
        clock.now += timedelta(minutes=10)
    assert (await outbox.stats()).pending == 0
    assert len(delivered["steady"]) == 6  # 4 organisations, 2 members, each once
    assert sorted(e.matrix_id for e in delivered["flaky"] if isinstance(e, MemberAdded)) == [
        "@alice:prevnet.example",
        "@bob:prevnet.example",
    ]
    assert len(delivered["flaky"]) == 2


async def test_run_stops_when_asked(db: Database) -> None:
    stop = asyncio.Event()
    dispatcher = Dispatcher(Outbox(db, "w"), [], idle_seconds=0.05)
    task = asyncio.create_task(dispatcher.run(stop))
    await asyncio.sleep(0.1)
    stop.set()
    dispatcher.wake()
    await asyncio.wait_for(task, 2)


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in range(4)] == [2, 4, 8, 16]
    assert backoff(30).total_seconds() == 300
