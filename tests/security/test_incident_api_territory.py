"""A token reports its own organisation's territory (with a 5 km margin), not all of Belgium.

Found: any organisation's token accepted incidents anywhere in Belgium. Now each record outside
the organisation's municipalities (further than ``BUFFER_METRES``) is refused with its reason and
the rest is stored; regional and federal organisations report anywhere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from phenomena.partners import OrganisationKind, TerritoryKind, TerritoryRef
from phenomena.storage.database import Database
from phenomena.storage.incidents import SqlApiTokens, SqlIncidentStore
from phenomena.territory import TerritoryRegistry
from prevnet.incident_area import BUFFER_METRES
from tests.support.incident_api import post, register, serving

DAY = {"time": "2026-11-14", "type": "vandalism"}
IN_MONS = {**DAY, "lat": 50.4541, "lon": 3.9523, "id": "in-mons"}
BY_QUEVY = {**DAY, "municipality": "Quévy", "id": "quevy"}
# west of Mons along its centroid's latitude: 2.3 km and 8.6 km outside the zone's outline
JUST_OUTSIDE = {**DAY, "lat": 50.45787, "lon": 3.837, "id": "2km-out"}
FAR_OUTSIDE = {**DAY, "lat": 50.45787, "lon": 3.737, "id": "9km-out"}
OOSTENDE = {**DAY, "lat": 51.2154, "lon": 2.9275, "id": "oostende"}
OOSTENDE_BY_NAME = {**DAY, "municipality": "Oostende", "id": "oostende-name"}
OOSTENDE_LAMBERT = {**DAY, "x": 47500, "y": 212000, "crs": "EPSG:31370", "id": "oostende-xy"}
RECORDS = [
    IN_MONS,
    BY_QUEVY,
    JUST_OUTSIDE,
    FAR_OUTSIDE,
    OOSTENDE,
    OOSTENDE_BY_NAME,
    OOSTENDE_LAMBERT,
]


@pytest.fixture
async def api(db: Database, territories: TerritoryRegistry) -> AsyncIterator[str]:
    async with serving(db, territories) as base:
        yield f"{base}/api/v1/incidents"


async def test_records_outside_the_zone_are_refused_with_their_reason_and_the_rest_stored(
    api: str, db: Database
) -> None:
    assert BUFFER_METRES == 5000
    token = await register(
        db, "zp-mons-quevy", OrganisationKind.POLICE_ZONE, TerritoryRef(TerritoryKind.ZONE, "5324")
    )
    status, answer = await post(api, token, {"incidents": RECORDS})
    assert status == 200
    assert answer["added"] == 3  # Mons, Quévy, and 2 km outside (within the margin)
    reasons = {r["index"]: r["reason"] for r in answer["rejected"]}  # type: ignore[attr-defined]
    assert sorted(reasons) == [3, 4, 5, 6]
    for reason in reasons.values():
        assert "outside the territory of zp-mons-quevy" in reason
        assert "more than 5 km from its municipalities" in reason
    assert await SqlIncidentStore(db).count() == 3


async def test_a_commune_reports_its_own_municipality_only(api: str, db: Database) -> None:
    token = await register(
        db, "pcs-mons", OrganisationKind.COMMUNE, TerritoryRef(TerritoryKind.MUNICIPALITY, "53053")
    )
    status, answer = await post(api, token, {"incidents": [IN_MONS, OOSTENDE]})
    assert status == 200 and answer["added"] == 1
    assert [r["index"] for r in answer["rejected"]] == [1]  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", [OrganisationKind.FEDERAL, OrganisationKind.REGION])
async def test_a_federal_or_regional_token_is_accepted_anywhere(
    api: str, db: Database, kind: OrganisationKind
) -> None:
    token = await register(db, f"svc-{kind.value}", kind)
    status, answer = await post(api, token, {"incidents": RECORDS})
    assert status == 200
    assert answer["added"] == len(RECORDS) and answer["rejected"] == []


async def test_an_organisation_covering_the_country_reports_anywhere(
    api: str, db: Database
) -> None:
    token = await register(
        db, "national", OrganisationKind.OTHER, TerritoryRef(TerritoryKind.COUNTRY, "BE")
    )
    status, answer = await post(api, token, {"incidents": [OOSTENDE, IN_MONS]})
    assert status == 200 and answer["added"] == 2


async def test_a_token_whose_organisation_left_the_registry_is_refused(
    api: str, db: Database
) -> None:
    token = await SqlApiTokens(db).issue("gone")
    status, answer = await post(api, token, {"incidents": [IN_MONS]})
    assert status == 403 and "no longer in the registry" in str(answer["error"])
    assert await SqlIncidentStore(db).count() == 0


async def test_naming_ones_own_municipality_does_not_carry_far_coordinates_in(
    api: str, db: Database
) -> None:
    """The place is where the coordinates say, whatever municipality the record names."""
    token = await register(
        db, "pcs-mons", OrganisationKind.COMMUNE, TerritoryRef(TerritoryKind.MUNICIPALITY, "53053")
    )
    spoofed = {**OOSTENDE, "municipality": "Mons", "id": "spoofed"}
    status, answer = await post(
        api, token, {"incidents": [spoofed, {**DAY, "municipality": "Mons", "id": "by-name"}]}
    )
    assert status == 200
    assert [r["index"] for r in answer["rejected"]] == [0]  # type: ignore[attr-defined]
    assert answer["added"] == 1
    assert await SqlIncidentStore(db).count() == 1
