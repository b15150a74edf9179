"""What alert delivery is handed by the composition root (posting, rooms, the ledger), and the
ways of telling one person something that its bulletin and moderation handlers share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from bots.i18n import Labels
from bots.private_rooms import AlertRooms, UowFactory
from phenomena.alert import Alert
from phenomena.rooms import room_languages
from phenomena.territory import TerritoryRegistry


class BulletinRecordLike(Protocol):
    """What the ledger remembers of a bulletin."""

    @property
    def alert_id(self) -> int: ...
    @property
    def room(self) -> str: ...
    @property
    def room_id(self) -> str: ...
    @property
    def event_id(self) -> str: ...
    @property
    def version(self) -> int: ...


class Ledger(Protocol):
    """Where bulletins and moderation notices are recorded (``SqlBulletinLedger``)."""

    async def bulletins(self, alert_id: int) -> Mapping[str, BulletinRecordLike]: ...
    async def record_bulletin(self, record: Any) -> None: ...
    async def mark_edited(self, alert_id: int, room: str, version: int) -> None: ...
    async def moderation_notice(self, alert_id: int) -> tuple[str, str] | None: ...
    async def record_moderation_notice(
        self, alert_id: int, room_id: str, event_id: str
    ) -> None: ...


Post = Callable[..., Awaitable[str]]
RoomIdOf = Callable[[str], Awaitable[str | None]]
AlertOf = Callable[[int], Awaitable[Alert | None]]
SourceOf = Callable[[Alert], Awaitable[str]]
RecordFactory = Callable[[int, str, str, str, int], Any]
Attachments = Callable[[Alert], Awaitable[list[tuple[str, bytes]]]]
PostImage = Callable[[str, bytes, str, str, str], Awaitable[str]]
DirectRoomOf = Callable[[str], Awaitable[str]]
BeforeBulletin = Callable[[], Awaitable[None]]


class DeliveryPorts:
    """The collaborators of ``AlertDelivery``, and what its handlers all do with them.

    ``before_bulletin`` is awaited before each bulletin is posted: a test-only seam, by which the
    kill-and-restart test holds a fan-out after its first bulletin (``prevnet.seams``).
    """

    def __init__(
        self,
        *,
        post: Post,
        room_id_of: RoomIdOf,
        alert_of: AlertOf,
        source_of: SourceOf,
        ledger: Ledger,
        record: RecordFactory,
        territories: TerritoryRegistry,
        concurrency: int = 8,
        attachments: Attachments | None = None,
        post_image: PostImage | None = None,
        rooms: AlertRooms | None = None,
        uow: UowFactory | None = None,
        direct_room_of: DirectRoomOf | None = None,
        before_bulletin: BeforeBulletin | None = None,
    ) -> None:
        self._post = post
        self._room_id_of = room_id_of
        self._alert_of = alert_of
        self._source_of = source_of
        self._ledger = ledger
        self._record = record
        self._territories = territories
        self._limit = asyncio.Semaphore(concurrency)
        self._attachments = attachments
        self._post_image = post_image
        self._rooms = rooms
        self._uow = uow
        self._direct_room_of = direct_room_of
        self._before_bulletin = before_bulletin

    def labels(self, room: str) -> Labels:
        """The labels of a room's language(s)."""
        return Labels(room_languages(room, self._territories))

    async def _load(self, alert_id: int) -> Alert:
        alert = await self._alert_of(alert_id)
        if alert is None:
            raise LookupError(f"alert {alert_id} is not in the database")
        return alert

    async def _tell(self, who: str, text: str, tx_id: str, fallback: str | None = None) -> None:
        """A short notice in someone's direct chat with the bot (or ``fallback``'s room)."""
        room = await self._direct_room_of(who) if self._direct_room_of is not None else fallback
        if room is not None:
            content = {"msgtype": "m.notice", "body": text, "m.mentions": {}}  # quotes reasons
            await self._post(room, content, tx_id=tx_id)

    async def _tell_author(self, alert: Alert, text: str, purpose: str) -> None:
        await self._tell(alert.author, text, f"prevnet-{purpose}-{alert.id}", alert.origin_room)
