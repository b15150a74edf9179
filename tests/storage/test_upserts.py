"""Insert-or-update in one statement: writers of the same key keep one row with the latest value."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select

from phenomena.storage.database import Database
from phenomena.storage.schema import SyncTokenRow
from phenomena.storage.sync_tokens import SqlSyncTokens


async def tokens_rows(db: Database) -> list[tuple[str, str]]:
    async with db.sessions() as session:
        rows = await session.execute(select(SyncTokenRow.device, SyncTokenRow.token))
        return [(device, token) for device, token in rows]


async def test_concurrent_first_saves_of_a_sync_token_keep_one_row(db: Database) -> None:
    """Two processes of one device saving their first token at once: one row, no collision."""
    device = "@prevnet:prevnet.test/DEVICE"
    writers = [SqlSyncTokens(db, device) for _ in range(8)]
    await asyncio.gather(*(w.save(f"s{n}") for n, w in enumerate(writers)))
    rows = await tokens_rows(db)
    assert len(rows) == 1 and rows[0][1] in {f"s{n}" for n in range(8)}


async def test_repeated_saves_of_a_sync_token_keep_the_latest(db: Database) -> None:
    stamps = iter(datetime(2026, 11, 22, 9, n, tzinfo=UTC) for n in range(10))
    tokens = SqlSyncTokens(db, "@prevnet:prevnet.test/A", clock=lambda: next(stamps))
    other = SqlSyncTokens(db, "@prevnet:prevnet.test/B")
    await other.save("b1")
    for token in ("s1", "s2", "s3"):
        await tokens.save(token)
    assert sorted(await tokens_rows(db)) == [
        ("@prevnet:prevnet.test/A", "s3"),
        ("@prevnet:prevnet.test/B", "b1"),
    ]
    assert await SqlSyncTokens(db, "@prevnet:prevnet.test/A").load() == "s3"
    async with db.sessions() as session:
        saved_at = await session.scalar(
            select(SyncTokenRow.saved_at).where(SyncTokenRow.device.endswith("/A"))
        )
        assert await session.scalar(select(func.count()).select_from(SyncTokenRow)) == 2
    assert saved_at is not None and saved_at.minute == 2  # the third save's time
