"""Where prevnet keeps the rooms it created (``RoomDirectory``), as the Matrix side sees it.

prevnet finds every room it relies on by the ID it recorded when it created it, never by
resolving an alias, which a member could point at a room of their own.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from phenomena.room_keys import RoomRecord


class RoomDirectory(Protocol):
    """The room directory (``phenomena.storage.room_directory.SqlRoomDirectory``)."""

    async def get(self, key: str) -> RoomRecord | None:
        """The room recorded under ``key``."""
        ...

    async def key_of(self, room_id: str) -> str | None:
        """The key a room is recorded under (None: not one of prevnet's rooms)."""
        ...

    async def all(self, kind: str | None = None) -> list[RoomRecord]:
        """Every recorded room, or those of one kind."""
        ...

    async def record(self, record: RoomRecord) -> None:
        """Record a room under its key (replacing what the key held)."""
        ...

    async def forget(self, key: str) -> None:
        """Forget the room recorded under ``key``."""
        ...

    def creating(self, key: str) -> AbstractAsyncContextManager[None]:
        """Exclusive use of ``key`` across tasks and processes, to create its room at most once."""
        ...
