"""The dispatcher: every event reaches every handler once, failures are retried, nothing is lost."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from phenomena.alert_text import parse_alert_text
from phenomena.events import Event, MemberAdded, OrganisationAdded
from phenomena.partners import Organisation, OrganisationKind
from phenomena.partners_file import parse_partner_file
from phenomena.services.partners import import_partners
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Dispatcher, Subscription, backoff
from tests.unit.test_alert_text import EXAMPLE
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


async def test_events_handed_over_at_commit_are_claimed_delivered_once_and_survive_a_crash(
    db: Database, territories: TerritoryRegistry
) -> None:
    """The committing process delivers without reading back; nobody else takes them meanwhile."""
    clock = Clock()
    seen: list[Event] = []

    async def record(event: Event) -> None:
        seen.append(event)

    subs = [Subscription("record", (MemberAdded, OrganisationAdded), record)]
    dispatcher = Dispatcher(Outbox(db, "here", clock), subs, clock=clock)
    await import_partners(
        SqlUnitOfWork(db.sessions, clock, handoff=dispatcher),
        parse_partner_file(GOOD, territories),
        "t",
        clock(),
    )
    # committed already claimed by this dispatcher: another one finds nothing to take
    assert await Outbox(db, "elsewhere", clock).claim() == []
    assert (await Outbox(db, "here", clock).stats()).pending == 6

    assert await dispatcher.run_once() == 6  # from the handoff, not from a claim
    assert len(seen) == 6
    assert (await Outbox(db, "here", clock).stats()).pending == 0
    assert await dispatcher.run_once() == 0
    assert len(seen) == 6

    # the process dies between the commit and the delivery: its next run takes the claims back
    crashed = Dispatcher(Outbox(db, "here", clock), [], clock=clock)
    await import_partners(
        SqlUnitOfWork(db.sessions, clock, handoff=crashed),
        parse_partner_file(GOOD.replace("prevnet.example", "other.example"), territories),
        "t",
        clock(),
    )
    assert await Outbox(db, "elsewhere", clock).claim() == []
    restarted = Dispatcher(Outbox(db, "here", clock), subs, clock=clock)
    stop = asyncio.Event()
    running = asyncio.create_task(restarted.run(stop))
    for _ in range(200):
        if len(seen) > 6 and (await Outbox(db, "here", clock).stats()).pending == 0:
            break
        await asyncio.sleep(0.02)
    stop.set()
    restarted.wake()
    await asyncio.wait_for(running, 5)
    assert (await Outbox(db, "here", clock).stats()).pending == 0
    assert len(seen) > 6


class SlowOutbox(Outbox):
    """An outbox whose reads take a while, so a commit can land in the middle of one."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, "here")
        self.looking = asyncio.Event()

    async def claim(self, limit: int = 50, lease: timedelta = timedelta(seconds=60)) -> list[Any]:
        self.looking.set()
        await asyncio.sleep(0.3)
        return await super().claim(limit, lease)


async def test_a_handoff_during_a_look_at_the_outbox_is_not_left_waiting(db: Database) -> None:
    """The idle wait must not swallow events handed over while the dispatcher was reading."""
    seen: list[Event] = []

    async def record(event: Event) -> None:
        seen.append(event)

    outbox = SlowOutbox(db)
    dispatcher = Dispatcher(
        outbox,
        [Subscription("record", (OrganisationAdded,), record)],
        idle_seconds=30,  # a lost wake-up would show as a 30 s wait
    )
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop))
    await outbox.looking.wait()  # the dispatcher is reading the outbox now
    async with SqlUnitOfWork(db.sessions, handoff=dispatcher) as uow:
        org = Organisation("org-1", "Org 1", OrganisationKind.OTHER, ())
        org.events.append(OrganisationAdded(key=org.key))
        await uow.organisations.add(org)
        await uow.commit()
    for _ in range(100):
        if seen:
            break
        await asyncio.sleep(0.02)
    stop.set()
    dispatcher.wake()
    await asyncio.wait_for(running, 5)
    assert [e.key for e in seen if isinstance(e, OrganisationAdded)] == ["org-1"]


async def publish_alert(
    db: Database, territories: TerritoryRegistry, clock: Clock, handoff: Dispatcher
) -> int:
    """Publish an alert in a unit of work that hands its events over to ``handoff``."""
    async with SqlUnitOfWork(db.sessions, clock, handoff=handoff) as uow:
        alert = await uow.alerts.create(
            parse_alert_text(EXAMPLE, territories), "@a:x", "zp", clock()
        )
        alert.publish(("zone:5324",), "@a:x", clock())
        await uow.alerts.save(alert)
        await uow.commit()
    return alert.id
