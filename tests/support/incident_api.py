"""The incident API served on a free port, for organisations registered in the test database."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web

from bots.maps import Outlines
from phenomena.partners import Organisation, OrganisationKind, TerritoryRef
from phenomena.storage.database import Database
from phenomena.storage.incidents import SqlApiTokens, SqlIncidentStore
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.incident_api import incident_app
from prevnet.reference import load_outlines
from prevnet.settings import Settings
from tests.support.synapse import free_port


@functools.cache
def shipped_outlines() -> Outlines:
    """The shipped municipality outlines, read once per test session."""
    return load_outlines(Settings())


async def register(
    db: Database, key: str, kind: OrganisationKind, *territories: TerritoryRef
) -> str:
    """Register an organisation and return a new incident-API token for it."""
    async with SqlUnitOfWork(db.sessions) as uow:
        await uow.organisations.add(Organisation(key, key, kind, tuple(territories)))
        await uow.commit()
    return await SqlApiTokens(db).issue(key)


@asynccontextmanager
async def serving(
    db: Database, territories: TerritoryRegistry, app: web.Application | None = None
) -> AsyncIterator[str]:
    """Serve the incident API (or ``app``, built on it) and yield its base URL."""
    service = app or incident_app(
        SqlIncidentStore(db), SqlApiTokens(db), territories, shipped_outlines
    )
    runner = web.AppRunner(service)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def post(
    url: str, token: str | None, body: object | str | bytes
) -> tuple[int, dict[str, object]]:
    """POST a body (JSON-encoded unless it is already text) and read the JSON answer."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http:
        kwargs = {"data": body} if isinstance(body, str | bytes) else {"json": body}
        async with http.post(url, headers=headers, **kwargs) as response:
            return response.status, await response.json()
