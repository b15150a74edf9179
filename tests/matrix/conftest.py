"""Fixtures of the Matrix tests: a MatrixNetwork with its own room directory and aliases."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bots.network import MatrixNetwork
from bots.synapse_admin import SynapseAdmin
from phenomena.storage.database import Database, sqlite_url
from phenomena.storage.room_directory import SqlRoomDirectory
from phenomena.territory import TerritoryRegistry
from tests.support.synapse import LocalHomeserver, client_for


@pytest.fixture
async def room_db(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    """A fresh migrated SQLite database holding the test's room directory."""
    path = tmp_path / "rooms.sqlite3"
    shutil.copy(sqlite_template, path)
    database = Database.connect(sqlite_url(path))
    yield database
    await database.close()


@pytest.fixture
async def network(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    territories: TerritoryRegistry,
    room_db: Database,
) -> AsyncIterator[MatrixNetwork]:
    """The registry applier, acting as the session's bot, with test-unique room aliases."""
    client = client_for(homeserver.url, homeserver.bot)
    try:
        yield MatrixNetwork(
            client,
            admin,
            "prevnet.test",
            territories,
            SqlRoomDirectory(room_db),
            namespace=homeserver.unique("n") + "-",
        )
    finally:
        await client.close()
