"""Scheduled jobs run on one instance at a time."""

from __future__ import annotations

from phenomena.storage.database import Database
from phenomena.storage.locks import exclusive


async def test_one_holder_at_a_time(db: Database) -> None:
    async with exclusive(db, "digest") as first:
        assert first
        async with exclusive(db, "reconcile") as other_job:
            assert other_job  # another job's lock is free
        if not db.is_sqlite:
            async with exclusive(db, "digest") as second:
                assert not second  # a second instance skips this round
    async with exclusive(db, "digest") as again:
        assert again  # released at the end of the block
