"""The room directory on SQLite and PostgreSQL: records, lookups, and creation one at a time."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import IntegrityError

from phenomena.room_keys import RoomRecord, direct_key
from phenomena.storage.database import Database
from phenomena.storage.room_directory import SqlRoomDirectory


async def test_rooms_are_recorded_found_replaced_and_forgotten(db: Database) -> None:
    rooms = SqlRoomDirectory(db)
    assert await rooms.get("zone:5324") is None
    await rooms.record(RoomRecord("zone:5324", "!mons"))
    await rooms.record(RoomRecord("alert:7", "!a7", complete=False))
    await rooms.record(RoomRecord(direct_key("@jean:x"), "!dm1"))
    assert await rooms.get("zone:5324") == RoomRecord("zone:5324", "!mons")
    assert await rooms.key_of("!a7") == "alert:7" and await rooms.key_of("!nope") is None
    assert [r.key for r in await rooms.all("alert")] == ["alert:7"]
    assert (await rooms.get("alert:7")) == RoomRecord("alert:7", "!a7", complete=False)
    await rooms.record(RoomRecord(direct_key("@jean:x"), "!dm2"))  # a new direct chat
    assert await rooms.key_of("!dm1") is None and await rooms.key_of("!dm2") == "dm:@jean:x"
    await rooms.forget(direct_key("@jean:x"))
    assert await rooms.get(direct_key("@jean:x")) is None
    with pytest.raises(IntegrityError):  # one room is never recorded under two keys
        await rooms.record(RoomRecord("zone:5327", "!mons"))


async def test_creating_a_key_is_exclusive_across_instances(db: Database) -> None:
    """Two instances (PostgreSQL: two engines, as two processes) never create a key at once."""
    other = (
        db
        if db.is_sqlite
        else Database.connect(db.engine.url.render_as_string(hide_password=False))
    )
    first = SqlRoomDirectory(db)
    second = first if db.is_sqlite else SqlRoomDirectory(other)
    inside: list[str] = []
    overlaps: list[str] = []

    async def create(directory: SqlRoomDirectory, name: str) -> None:
        async with directory.creating("zone:5324"):
            if inside:
                overlaps.append(name)
            inside.append(name)
            await asyncio.sleep(0.2)  # creating the room takes a moment
            inside.remove(name)

    try:
        await asyncio.gather(create(first, "one"), create(second, "two"), create(first, "three"))
    finally:
        if other is not db:
            await other.close()
    assert overlaps == []
