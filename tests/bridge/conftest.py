"""The bridge against the Discourse double, on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bridge.api import ToolboxApi
from bridge.client import Toolbox
from bridge.limiter import RateLimiter
from bridge.members import MemberSync
from bridge.store import BridgeStore
from bridge.sync import TopicSync
from phenomena.alert import Alert
from phenomena.partners import Member, Organisation
from phenomena.partners_file import parse_partner_file
from phenomena.services.partners import import_partners
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.bridge_service import bridge_subscriptions, join_outbox
from prevnet.dispatch import Dispatcher
from tests.support.discourse.double import DiscourseDouble
from tests.unit.test_partners_file import GOOD

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
async def discourse() -> AsyncIterator[DiscourseDouble]:
    """The double; a test fails if anything crossed it outside the OpenAPI contract."""
    double = DiscourseDouble()
    await double.start()
    yield double
    await double.stop()
    assert double.violations == [], "\n".join(double.violations)


@dataclass
class Bridge:
    """The bridge's parts wired as ``prevnet bridge`` wires them, with a drainable outbox."""

    db: Database
    double: DiscourseDouble
    toolbox: Toolbox
    store: BridgeStore
    topics: TopicSync
    members: MemberSync
    outbox: Outbox
    dispatcher: Dispatcher

    def uow(self, once: str | None = None) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.db.sessions, once=once)

    async def drain(self, within: float = 60.0) -> None:
        """Run the bridge's outbox until nothing is pending (retries included)."""
        async with asyncio.timeout(within):
            while (await self.outbox.stats()).pending:
                if not await self.dispatcher.run_once():
                    await asyncio.sleep(0.05)


async def make_bridge(
    db: Database,
    double: DiscourseDouble,
    territories: TerritoryRegistry,
    *,
    limit: int = 60,
    window: float = 60.0,
    http_timeout: float = 5.0,
    alerts_category: str | None = None,
) -> Bridge:
    outbox = Outbox(db, "bridge-test", consumer="bridge")
    await join_outbox(outbox, db)
    api = ToolboxApi(double.url, double.api_username, double.api_key, timeout=http_timeout)
    toolbox = Toolbox(api, RateLimiter(limit, window))
    store = BridgeStore(db)

    async def alert_of(alert_id: int) -> Alert | None:
        async with SqlUnitOfWork(db.sessions) as unit:
            return await unit.alerts.get(alert_id)

    async def organisations() -> Sequence[Organisation]:
        async with SqlUnitOfWork(db.sessions) as unit:
            return list(await unit.organisations.list())

    async def member_of(matrix_id: str) -> Member | None:
        async with SqlUnitOfWork(db.sessions) as unit:
            return await unit.members.get(matrix_id)

    async def source_of(alert: Alert) -> str:
        return f"{alert.author} ({alert.organisation})"

    topics = TopicSync(
        toolbox,
        store,
        territories,
        alert_of,
        organisations,
        source_of,
        alerts_category=alerts_category,
    )
    members = MemberSync(toolbox, store, member_of, organisations)
    dispatcher = Dispatcher(
        outbox,
        bridge_subscriptions(topics, members),
        idle_seconds=0.05,
        retry_base=0.05,
        retry_cap=0.5,  # the order of retries is what is tested, not the waiting between them
    )
    return Bridge(db, double, toolbox, store, topics, members, outbox, dispatcher)


@pytest.fixture
async def bridge(
    db: Database, discourse: DiscourseDouble, territories: TerritoryRegistry
) -> Bridge:
    """A bridge registered before the partners are imported (so it sees them join)."""
    made = await make_bridge(db, discourse, territories)
    text = GOOD.replace(
        "    organisation: pcs-mons\n", "    organisation: pcs-mons\n    roles: [author]\n"
    )
    await import_partners(
        SqlUnitOfWork(db.sessions), parse_partner_file(text, territories), "t", NOW
    )
    return made
