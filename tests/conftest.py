"""Shared fixtures: the territory registry, and databases on SQLite and real PostgreSQL.

Each storage test gets a fresh database cloned from one migrated template, so tests are
independent and fast. PostgreSQL is a real server started for the session; if it cannot start,
the PostgreSQL tests fail with the reason (they are never skipped).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bots.synapse_admin import SynapseAdmin
from phenomena.storage.database import Database, sqlite_url
from phenomena.territory import TerritoryRegistry
from prevnet.reference import load_territories
from prevnet.settings import Settings
from tests.support.postgres import postgres_server
from tests.support.synapse import LocalHomeserver, running_homeserver

_counter = itertools.count()
T = TypeVar("T")


def run_in_own_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even while the test loop is running."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def territories() -> TerritoryRegistry:
    """The shipped Belgian reference data."""
    return load_territories(Settings())


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A running PostgreSQL server for the whole session."""
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"

    async def build() -> None:
        db = Database.connect(sqlite_url(path))
        await db.upgrade()
        await db.close()

    run_in_own_loop(build())
    return path


async def _admin(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        user=parsed.username,
        password=parsed.password,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database or "postgres",
    )


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> str:
    """A PostgreSQL database migrated once, used as the template of each test's database."""

    async def build() -> None:
        conn = await _admin(postgres_url)
        try:
            await conn.execute("DROP DATABASE IF EXISTS prevnet_template")
            await conn.execute("CREATE DATABASE prevnet_template")
        finally:
            await conn.close()
        url = make_url(postgres_url).set(database="prevnet_template").render_as_string(False)
        db = Database.connect(url)
        await db.upgrade()
        await db.close()

    run_in_own_loop(build())
    return "prevnet_template"


@pytest.fixture(params=["sqlite", "postgres"])
async def db(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[Database]:
    """A fresh, migrated database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "prevnet.sqlite3"
        shutil.copy(sqlite_template, path)
        database = Database.connect(sqlite_url(path))
        yield database
        await database.close()
        return
    postgres_url: str = request.getfixturevalue("postgres_url")
    template: str = request.getfixturevalue("postgres_template")
    name = f"prevnet_test_{next(_counter)}"
    conn = await _admin(postgres_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await conn.close()
    database = Database.connect(make_url(postgres_url).set(database=name).render_as_string(False))
    yield database
    await database.close()
    conn = await _admin(postgres_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def homeserver(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalHomeserver]:
    """One real Synapse for each test worker; each test makes its own users and rooms."""
    root = _homeserver_root(tmp_path_factory)
    try:
        async with running_homeserver(root) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _homeserver_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder in memory where there is one: Synapse's SQLite database then needs no fsync."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix="prevnet-synapse-", dir=shm))
    return tmp_path_factory.mktemp("synapse")


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def admin(homeserver: LocalHomeserver, http: aiohttp.ClientSession) -> SynapseAdmin:
    """The admin API as the bot."""
    return SynapseAdmin(http, homeserver.url, homeserver.bot.access_token)
