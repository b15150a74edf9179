"""Run a job on one instance at a time: PostgreSQL advisory locks (SQLite has one instance).

Several ``prevnet up`` processes on one PostgreSQL database each schedule the same jobs; the
instance that takes the job's lock runs it, the others skip that round.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text

from phenomena.storage.database import Database


def lock_key(name: str) -> int:
    """A stable 31-bit key for a job name."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


@asynccontextmanager
async def exclusive(db: Database, name: str) -> AsyncIterator[bool]:
    """Yield True if this instance holds the job's lock (until the block ends), else False."""
    if db.is_sqlite:
        yield True
        return
    async with db.engine.connect() as conn:
        got = bool(
            await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(name)})
        )
        try:
            yield got
        finally:
            if got:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(name)})


@asynccontextmanager
async def waiting_for(db: Database, name: str) -> AsyncIterator[None]:
    """Hold ``name``'s lock until the block ends, waiting for another instance to release it.

    For short steps that two instances must never do at once (creating the same room). On
    SQLite there is one instance; callers serialise their own tasks.
    """
    if db.is_sqlite:
        yield
        return
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock_key(name)})
        try:
            yield
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(name)})
