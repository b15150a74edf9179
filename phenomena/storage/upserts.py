"""Insert-or-update in one statement (``INSERT ... ON CONFLICT``) on SQLite and PostgreSQL.

One statement instead of a read and then a write: two writers of the same key never both find
it missing and collide, and neither overwrites the other with what it read before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from phenomena.storage.schema import Base

Insert = postgresql.Insert | sqlite.Insert


def insert_for(session: AsyncSession, row: type[Base]) -> Insert:
    """An INSERT for ``row``'s table in the dialect of the database ``session`` talks to."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(row)
    return sqlite.insert(row)


async def upsert(
    session: AsyncSession,
    row: type[Base],
    key: Sequence[str],
    values: dict[str, Any],
    update: Sequence[str] | None = None,
) -> None:
    """Insert ``values``; if a row with the same ``key`` columns exists, set ``update`` on it.

    ``update`` defaults to every column given that is not part of the key; an empty one keeps
    the existing row as it is.
    """
    statement = insert_for(session, row).values(**values)
    columns = [c for c in values if c not in key] if update is None else list(update)
    if columns:
        changes = {c: statement.excluded[c] for c in columns}
        await session.execute(statement.on_conflict_do_update(index_elements=key, set_=changes))
    else:
        await session.execute(statement.on_conflict_do_nothing(index_elements=key))
