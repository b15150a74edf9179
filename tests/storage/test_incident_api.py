"""The incident API as a police system uses it: its token, JSON records, answers that say why."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from phenomena.partners import OrganisationKind, TerritoryKind, TerritoryRef
from phenomena.storage.database import Database
from phenomena.storage.incidents import SqlIncidentStore
from phenomena.territory import TerritoryRegistry
from tests.support.incident_api import post, register, serving

RECORDS = [
    {
        "time": "2026-11-14T15:30",
        "lat": 50.4541,
        "lon": 3.9523,
        "type": "woninginbraak",
        "modus": "rear door forced",
        "id": "PV-1",
    },
    {"time": "14/11/2026", "municipality": "Quévy", "type": "vandalism", "id": "PV-2"},
    {"time": "2026-11-15", "x": 121000, "y": 125000, "crs": "EPSG:31370", "type": "phishing"},
    {"time": "2026-13-01", "lat": 50.4, "lon": 3.9, "type": "vandalism"},
    {"time": "2026-11-15", "municipality": "Atlantis", "type": "vandalism"},
    "not an object",
]


@pytest.fixture
async def api(db: Database, territories: TerritoryRegistry) -> AsyncIterator[tuple[str, str]]:
    token = await register(
        db,
        "zp-mons-quevy",
        OrganisationKind.POLICE_ZONE,
        TerritoryRef(TerritoryKind.ZONE, "5324"),
    )
    async with serving(db, territories) as base:
        yield f"{base}/api/v1/incidents", token


async def test_records_are_stored_once_and_every_rejection_explained(
    api: tuple[str, str], db: Database
) -> None:
    url, token = api
    status, answer = await post(url, token, {"incidents": RECORDS})
    assert status == 200
    assert answer["added"] == 3 and answer["known"] == 0
    rejected = answer["rejected"]
    assert isinstance(rejected, list)
    reasons = {r["index"]: r["reason"] for r in rejected}
    assert "is not a day of the calendar" in reasons[3]
    assert "unknown municipality 'Atlantis'" in reasons[4]
    assert reasons[5] == "a record must be a JSON object"
    status, again = await post(url, token, {"incidents": RECORDS[:3]})
    assert status == 200 and again["added"] == 0 and again["known"] == 3
    assert await SqlIncidentStore(db).count() == 3


async def test_malformed_bodies_get_400(api: tuple[str, str]) -> None:
    url, token = api
    for body in ("{not json", '{"records": []}', "[1, 2]"):
        status, answer = await post(url, token, body)
        assert status == 400, body
        assert "error" in answer
