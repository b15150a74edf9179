"""What every command shares: settings, territories and the database, opened on first use."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import click

from phenomena.errors import DocumentErrors, PrevnetError
from phenomena.storage.database import Database
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.files import private_dir
from prevnet.reference import load_territories
from prevnet.settings import Settings

T = TypeVar("T")


class App:
    """The state of one command-line invocation."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._territories: TerritoryRegistry | None = None
        self._db: Database | None = None

    @property
    def territories(self) -> TerritoryRegistry:
        """The territory registry, read once."""
        if self._territories is None:
            self._territories = load_territories(self.settings)
        return self._territories

    async def database(self) -> Database:
        """The database, migrated to the newest schema on first use."""
        if self._db is None:
            if self.settings.database_url is None:
                private_dir(self.settings.data_dir)
            db = Database.connect(self.settings.database)
            await db.upgrade()
            self._db = db
        return self._db

    async def uow(self) -> SqlUnitOfWork:
        """A fresh unit of work on the database."""
        return SqlUnitOfWork((await self.database()).sessions)

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        """Run a coroutine to completion, closing the database in the same event loop."""

        async def wrapped() -> T:
            try:
                return await make()
            finally:
                if self._db is not None:
                    await self._db.close()
                    self._db = None

        return run_command(lambda: asyncio.run(wrapped()))

    def close(self) -> None:
        """Nothing stays open between commands (``run`` closes the database)."""


def run_command(action: Callable[[], T]) -> T:
    """Turn prevnet's own errors into a clear message and exit code 1, never a traceback."""
    try:
        return action()
    except DocumentErrors as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    except PrevnetError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None


def default_actor() -> str:
    """Who the audit log names for a command-line action: ``cli:<login name>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:  # pragma: no cover - no login name in some containers
        return "cli:unknown"


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)
