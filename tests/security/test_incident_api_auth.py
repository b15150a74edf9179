"""The incident API's door, a probe that held: no answer without a valid token, none kept in clear.

The review found authentication and token storage sound; these tests keep them so.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from phenomena.partners import OrganisationKind, TerritoryKind, TerritoryRef
from phenomena.storage.database import Database
from phenomena.storage.incidents import SqlApiTokens, SqlIncidentStore
from phenomena.storage.schema import ApiTokenRow
from phenomena.territory import TerritoryRegistry
from tests.support.incident_api import post, register, serving

RECORD = {"time": "2026-11-14T15:30", "lat": 50.4541, "lon": 3.9523, "type": "vandalism"}


@pytest.fixture
async def api(db: Database, territories: TerritoryRegistry) -> AsyncIterator[tuple[str, str]]:
    token = await register(
        db, "zp-mons-quevy", OrganisationKind.POLICE_ZONE, TerritoryRef(TerritoryKind.ZONE, "5324")
    )
    async with serving(db, territories) as base:
        yield f"{base}/api/v1/incidents", token


async def test_a_forged_missing_or_revoked_token_is_refused(
    api: tuple[str, str], db: Database
) -> None:
    url, token = api
    assert (await post(url, None, {"incidents": [RECORD]}))[0] == 401
    assert (await post(url, "pvn_forged", {"incidents": [RECORD]}))[0] == 401
    assert (await post(url, token + "x", {"incidents": [RECORD]}))[0] == 401
    await SqlApiTokens(db).revoke("zp-mons-quevy")
    status, answer = await post(url, token, {"incidents": [RECORD]})
    assert status == 401 and "revoked" in str(answer["error"])
    assert await SqlIncidentStore(db).count() == 0


async def test_tokens_are_kept_as_digests_only(api: tuple[str, str], db: Database) -> None:
    _, token = api
    async with db.sessions() as session:
        stored = list(await session.scalars(select(ApiTokenRow)))
    assert [row.token_sha256 for row in stored] == [hashlib.sha256(token.encode()).hexdigest()]
