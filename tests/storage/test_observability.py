"""Health says what is wrong; metrics report the outbox as it is."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web

from phenomena.partners_file import parse_partner_file
from phenomena.services.partners import import_partners
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import STUCK_AFTER, SqlEmailDeliveries
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.observability import Metrics, observability_routes
from tests.support.synapse import free_port
from tests.unit.test_partners_file import GOOD

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)


@dataclass
class Service:
    url: str
    homeserver_up: list[bool]
    clock: list[datetime]
    metrics: Metrics


@pytest.fixture
async def service(db: Database) -> AsyncIterator[Service]:
    up = [True]
    now = [NOW]
    metrics = Metrics()

    async def database_ok() -> bool:
        return await db.revision() is not None

    async def homeserver_ok() -> bool:
        return up[0]

    app = web.Application()
    observability_routes(
        app, metrics, Outbox(db, "x").stats, database_ok, homeserver_ok, lambda: now[0]
    )
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Service(f"http://127.0.0.1:{port}", up, now, metrics)
    finally:
        await runner.cleanup()


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_health_reports_each_part(
    service: Service, db: Database, territories: TerritoryRegistry
) -> None:
    status, body = await get(service.url + "/health")
    assert status == 200 and '"status": "ok"' in body
    service.homeserver_up[0] = False
    status, body = await get(service.url + "/health")
    assert status == 503 and '"homeserver": "unreachable"' in body
    service.homeserver_up[0] = True
    await import_partners(
        SqlUnitOfWork(db.sessions, lambda: NOW), parse_partner_file(GOOD, territories), "t", NOW
    )
    service.clock[0] = NOW + timedelta(minutes=10)  # nobody delivered them for ten minutes
    status, body = await get(service.url + "/health")
    assert status == 503 and '"status": "lagging"' in body and '"pending": 6' in body


async def test_metrics_show_the_outbox(
    service: Service, db: Database, territories: TerritoryRegistry
) -> None:
    await import_partners(
        SqlUnitOfWork(db.sessions, lambda: NOW), parse_partner_file(GOOD, territories), "t", NOW
    )
    service.metrics.bulletins_sent.inc(3)
    status, text = await get(service.url + "/metrics")
    assert status == 200
    assert "prevnet_outbox_depth 6.0" in text
    assert "prevnet_bulletins_sent_total 3.0" in text


async def test_health_lists_mails_of_unknown_fate_and_stays_healthy(db: Database) -> None:
    deliveries = SqlEmailDeliveries(db, lambda: NOW)
    assert await deliveries.claim("<b2@prevnet.example>", "@a:prevnet.example", "bulletin", 7)
    await deliveries.mark_unknown("<b2@prevnet.example>", "SMTPReadTimeoutError: late")
    assert await deliveries.claim("<b3@prevnet.example>", "@b:prevnet.example", "bulletin", 7)

    async def ok() -> bool:
        return True

    async def unknown() -> list[str]:
        return [m.message_id for m in await deliveries.unfinished(NOW - STUCK_AFTER)]

    app = web.Application()
    observability_routes(
        app, Metrics(), Outbox(db, "x").stats, ok, ok, lambda: NOW, unknown_mails=unknown
    )
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        status, text = await get(f"http://127.0.0.1:{port}/health")
    finally:
        await runner.cleanup()
    body = json.loads(text)
    assert status == 200 and body["status"] == "ok"
    assert body["email"]["unknown_fate"] == ["<b2@prevnet.example>"]  # not b3: being sent
