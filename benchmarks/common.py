"""What the benchmarks share: their command line, the database choice, the homeserver, ratios.

Each benchmark prints prevnet's figure against a floor measured in the same run; the set-up
around that (a free port, an embedded homeserver or ``prevnet up`` in a temporary directory,
SQLite or a durable PostgreSQL) is the same for all of them and lives here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from phenomena.partners import Organisation, OrganisationKind, TerritoryKind, TerritoryRef
from phenomena.storage.database import Database, sqlite_url
from phenomena.territory import TerritoryRegistry
from prevnet.homeserver import Homeserver, HomeserverFiles, HomeserverOptions
from tests.support.postgres import postgres_server

SERVER = "bench.prevnet"
DATABASES = ("sqlite", "postgres")


def parser(doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's command line, described by its docstring's first paragraph."""
    return argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])


def add_database_option(arguments: argparse.ArgumentParser) -> None:
    arguments.add_argument(
        "--database",
        choices=DATABASES,
        default="sqlite",
        help="prevnet's database: an SQLite file (the default) or a PostgreSQL server started "
        "for the run with production durability (fsync, synchronous commit)",
    )


@contextlib.contextmanager
def database_url(choice: str, directory: Path) -> Iterator[str]:
    """The URL of prevnet's database for this run: a file in ``directory`` or a PostgreSQL."""
    if choice == "postgres":
        with postgres_server(durable=True) as url:  # as deployed: every commit on disk
            yield url
    else:
        yield sqlite_url(directory / "prevnet.sqlite3")


@contextlib.asynccontextmanager
async def database(choice: str, directory: Path) -> AsyncIterator[Database]:
    """prevnet's database for this run, migrated, closed at the end."""
    with database_url(choice, directory) as url:
        db = Database.connect(url)
        try:
            await db.upgrade()
            yield db
        finally:
            await db.close()


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def homeserver(root: Path) -> AsyncIterator[Homeserver]:
    """An embedded homeserver on 127.0.0.1 in ``root`` (cheap password hashing), stopped after."""
    server = Homeserver(
        HomeserverFiles(root),
        HomeserverOptions(server_name=SERVER, port=free_port(), bcrypt_rounds=4),
    )
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def start_prevnet(data: Path, port: int, database: str) -> asyncio.subprocess.Process:
    """``prevnet up`` on the prepared data directory; returns once it says it is ready."""
    with (data / "prevnet-up.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "prevnet", "up", "--data-dir", str(data), "--port", str(port)),
            "--fast-hashing",
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            env={
                **os.environ,
                "PREVNET_SERVER_NAME": SERVER,
                "PREVNET_API_PORT": str(free_port()),
                "PREVNET_DATABASE_URL": database,
            },
        )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 180)
    if not line.startswith(b"prevnet ready: "):
        process.kill()
        raise RuntimeError(f"prevnet up did not start: see {data / 'prevnet-up.log'}")
    return process


def police_zone(territories: TerritoryRegistry, zone: str, prefix: str = "zp-") -> Organisation:
    """The police organisation of one zone, keyed ``<prefix><zone>``."""
    return Organisation(
        f"{prefix}{zone}",
        f"Zone {territories.zones[zone].name}",
        OrganisationKind.POLICE_ZONE,
        (TerritoryRef(TerritoryKind.ZONE, zone),),
    )


def ratio(ours: float, floor: float) -> str:
    """``ours / floor`` as the benchmarks print it (``n/a`` for a zero floor)."""
    if not floor or math.isnan(floor):
        return "n/a"
    return f"{ours / floor:.2f}x"
