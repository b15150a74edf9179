"""One incident-API request cannot hold up the process, nor make it fail with a 500.

Found: 4,000 different ``crs`` strings in one request blocked the event loop for 44 s (no
command, bulletin or ``/health`` answer meanwhile); deeply nested JSON gave a 500.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from bots.maps import Outlines
from phenomena.detection.projection import projector
from phenomena.partners import OrganisationKind, TerritoryKind, TerritoryRef
from phenomena.storage.database import Database
from phenomena.storage.incidents import SqlApiTokens, SqlIncidentStore
from phenomena.storage.outbox import Outbox
from phenomena.territory import TerritoryRegistry
from prevnet.incident_api import MAX_CRS, incident_app
from prevnet.observability import Metrics, observability_routes
from tests.support.incident_api import post, register, serving, shipped_outlines

NOW = datetime(2026, 11, 14, tzinfo=UTC)
MONS = {"time": "2026-11-14", "lat": 50.4541, "lon": 3.9523, "type": "vandalism"}


@pytest.fixture
async def mons_token(db: Database) -> str:
    return await register(
        db, "zp-mons-quevy", OrganisationKind.POLICE_ZONE, TerritoryRef(TerritoryKind.ZONE, "5324")
    )


@pytest.fixture
async def api(db: Database, territories: TerritoryRegistry) -> AsyncIterator[str]:
    async with serving(db, territories) as base:
        yield f"{base}/api/v1/incidents"


async def test_thousands_of_coordinate_systems_are_refused_without_trying_them(
    api: str, mons_token: str, db: Database
) -> None:
    records = [
        {"time": "2026-11-14", "x": 120000 + i, "y": 127000, "crs": f"EPSG:{2000 + i}"}
        for i in range(4000)
    ]
    tried = projector.cache_info().currsize
    status, answer = await post(api, mons_token, {"incidents": records})
    assert status == 400
    assert f"at most {MAX_CRS}" in str(answer["error"])
    assert projector.cache_info().currsize <= tried + MAX_CRS  # no transformer built for each
    assert await SqlIncidentStore(db).count() == 0


async def test_an_unlisted_coordinate_system_is_refused_per_record(
    api: str, mons_token: str, db: Database
) -> None:
    records = [
        {**MONS, "id": "PV-ok"},
        {"time": "2026-11-14", "x": 1, "y": 2, "crs": "EPSG:2154", "type": "vandalism"},
        {"time": "2026-11-14", "x": 1, "y": 2, "crs": "+proj=longlat", "type": "vandalism"},
    ]
    status, answer = await post(api, mons_token, {"incidents": records})
    assert status == 200 and answer["added"] == 1
    reasons = {r["index"]: r["reason"] for r in answer["rejected"]}  # type: ignore[attr-defined]
    assert set(reasons) == {1, 2}
    assert "is not accepted: use one of EPSG:3812, EPSG:31370" in reasons[1]


async def test_deeply_nested_json_gets_400_and_nested_fields_are_refused_per_record(
    api: str, mons_token: str, db: Database
) -> None:
    deep = "[" * 200_000 + "]" * 200_000
    status, answer = await post(api, mons_token, deep)
    assert status == 400 and "nested too deeply" in str(answer["error"])
    inside = '{"incidents": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert (await post(api, mons_token, inside))[0] == 400
    nested = {**MONS, "type": {"deeper": [[[["vandalism"]]]]}}
    status, answer = await post(api, mons_token, {"incidents": [MONS, nested]})
    assert status == 200 and answer["added"] == 1
    assert answer["rejected"] == [{"index": 1, "reason": "'type' must be a text or a number"}]


async def test_a_body_over_the_limit_gets_413(api: str, mons_token: str) -> None:
    status, _ = await post(api, mons_token, '{"incidents": ["' + "x" * 6_000_000 + '"]}')
    assert status == 413


async def test_health_is_answered_while_a_large_request_is_being_read(
    db: Database, territories: TerritoryRegistry, mons_token: str
) -> None:
    """The big request's reading waits (where it first needs the outlines) until /health has
    answered. Were the reading done on the event loop, /health could not answer until the
    reading had given up waiting and finished: the order below would be reversed."""
    reading = threading.Event()
    health_answered = threading.Event()
    order: list[str] = []

    def outlines() -> Outlines:
        reading.set()
        health_answered.wait(timeout=20)  # bounds the broken case; the fixed one never waits it
        order.append("reading finished")
        return shipped_outlines()

    app = incident_app(SqlIncidentStore(db), SqlApiTokens(db), territories, outlines)

    async def ok() -> bool:
        return True

    observability_routes(app, Metrics(), Outbox(db, "t").stats, ok, ok, lambda: NOW)
    records = [{**MONS, "id": f"PV-{i}"} for i in range(5000)]
    async with serving(db, territories, app) as base, aiohttp.ClientSession() as http:

        async def big() -> None:
            status, answer = await post(
                f"{base}/api/v1/incidents", mons_token, {"incidents": records}
            )
            assert status == 200 and answer["added"] == 5000

        async def health() -> None:
            await asyncio.to_thread(reading.wait, 30)
            async with http.get(f"{base}/health") as response:
                assert response.status == 200
            order.append("health answered")
            health_answered.set()

        await asyncio.gather(big(), health())
    assert order == ["health answered", "reading finished"]


async def test_a_second_organisation_is_answered_after_a_large_request(
    db: Database, territories: TerritoryRegistry, api: str, mons_token: str
) -> None:
    """Two requests at once are both answered, each with its own records."""
    other = await register(
        db, "zp-boraine", OrganisationKind.POLICE_ZONE, TerritoryRef(TerritoryKind.ZONE, "5327")
    )
    big = [{**MONS, "id": f"PV-{i}"} for i in range(3000)]
    boraine = {"time": "2026-11-14", "municipality": "Colfontaine", "type": "vandalism"}
    first, second = await asyncio.gather(
        post(api, mons_token, {"incidents": big}), post(api, other, {"incidents": [boraine]})
    )
    assert first[0] == 200 and first[1]["added"] == 3000
    assert second[0] == 200 and second[1]["added"] == 1
