"""Engines, sessions and migrations for SQLite (the default) and PostgreSQL (by URL)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from phenomena.errors import PrevnetError

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(PrevnetError):
    """The database cannot be reached or is in a state prevnet cannot use; says what to do."""


def sqlite_url(path: Path) -> str:
    """The async SQLAlchemy URL of an SQLite file."""
    return f"sqlite+aiosqlite:///{path}"


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` and ``sqlite:///`` URLs and pick the async drivers."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.drivername != "postgresql+asyncpg":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif backend == "sqlite" and parsed.drivername != "sqlite+aiosqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend not in ("postgresql", "sqlite"):
        raise DatabaseError(
            f"unsupported database {backend!r}: use sqlite:///PATH or postgresql://USER@HOST/DB"
        )
    return parsed.render_as_string(hide_password=False)


@dataclass
class Database:
    """One engine and its session factory; sessions keep objects usable after commit."""

    engine: AsyncEngine
    sessions: async_sessionmaker[Any]

    @classmethod
    def connect(cls, url: str, *, echo: bool = False) -> Database:
        """Create the engine (no connection is opened until first use)."""
        url = normalise_url(url)
        is_sqlite = url.startswith("sqlite")
        if is_sqlite:
            _owner_only(make_url(url).database)
        kwargs: dict[str, Any] = {"echo": echo}
        if not is_sqlite:
            kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=5)
        # hide_parameters: a database error must not print an alert's text (maybe TLP:RED)
        engine = create_async_engine(url, hide_parameters=True, **kwargs)
        if is_sqlite:
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False))

    async def close(self) -> None:
        """Release every pooled connection."""
        await self.engine.dispose()

    @property
    def is_sqlite(self) -> bool:
        """Whether this is an SQLite database (single writer; no row locks)."""
        return self.engine.dialect.name == "sqlite"

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        try:
            async with self.engine.begin() as conn:
                await conn.run_sync(_upgrade)
        except OSError as exc:
            raise DatabaseError(
                f"cannot reach the database ({exc}); check the database URL "
                "and that the server runs"
            ) from exc

    async def revision(self) -> str | None:
        """The schema revision the database is at (None: empty database)."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )

    @staticmethod
    def head() -> str:
        """The newest migration shipped with this version of prevnet."""
        head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
        if head is None:  # pragma: no cover - the package always ships migrations
            raise DatabaseError("no migrations found in the installed package")
        return head


def _owner_only(database: str | None) -> None:
    """Create an SQLite file owner-only (0600) before SQLite does, or make it so.

    SQLite gives its -wal and -shm files the database file's mode, so they follow.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.is_dir():
        return  # connecting fails with SQLite's own message
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0o600))
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists() and part.stat().st_mode & 0o077:
            part.chmod(0o600)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL keeps every commit through an application crash (only an OS crash or a
    # power cut can lose the last ones) and saves an fsync per commit on the delivery path.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade(connection: Connection) -> None:
    cfg = _alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")
