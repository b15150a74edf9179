"""The duty rota in ``prevnet up``: the chat commands, the scheduled look for periods that began,
and the outbox handler that posts each handover note in ``#moderation`` once.

The scheduled job marks each period in the transaction that writes its ``DutyHandedOver`` event
(``SqlDutyRota.record_handovers``); the handler posts the note under a transaction ID made from
the period's number, so a retry after a crash gives the homeserver's same event, not a second.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bots.commands import CommandRegistry
from bots.duty_commands import DutyTexts, MemberLookup, handover_note, register_duty_commands
from phenomena.events import DutyHandedOver, Event
from phenomena.rooms import MODERATION
from phenomena.storage.database import Database
from phenomena.storage.duty import SqlDutyRota
from phenomena.storage.handoff import Handoff
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Subscription

log = logging.getLogger(__name__)

Post = Callable[..., Awaitable[str]]  # ``Bot.post(room_id, content, tx_id=...)``
RoomIdOf = Callable[[str], Awaitable[str | None]]


def handover_tx_id(period_id: int) -> str:
    """The note's transaction ID: one per period, whichever instance or attempt sends it."""
    return f"prevnet-duty-handover-{period_id}"


@dataclass
class DutyService:
    """The rota, and how its names and times read in chat."""

    rota: SqlDutyRota
    texts: DutyTexts
    clock: Callable[[], datetime]

    def register(self, commands: CommandRegistry) -> None:
        """Add ``!duty`` and ``!duty take``."""
        register_duty_commands(commands, self.rota, self.texts, self.clock)

    async def look_for_handovers(self) -> None:
        """Queue the note of each period that has begun (the scheduled job)."""
        queued = await self.rota.record_handovers(self.clock())
        if queued:
            log.info("duty handover notes queued for period(s) %s", [e.period_id for e in queued])

    def subscription(self, post: Post, room_id_of: RoomIdOf) -> Subscription:
        """Post each ``DutyHandedOver`` in ``#moderation``."""

        async def handle(event: Event) -> None:
            assert isinstance(event, DutyHandedOver)
            member = await self.texts.member_of(event.member)
            if member is None or not member.is_active:  # not called: do not say they cover it
                log.info(
                    "no handover note for period %s: %s is not active",
                    event.period_id,
                    event.member,
                )
                return
            room = await room_id_of(MODERATION)
            if room is None:
                raise ConnectionError("#moderation does not exist yet; the note waits for it")
            content: dict[str, Any] = await handover_note(event, self.texts)
            await post(room, content, tx_id=handover_tx_id(event.period_id))

        return Subscription("matrix-duty-handover", (DutyHandedOver,), handle)


def duty_service(
    db: Database,
    territories: TerritoryRegistry,
    member_of: MemberLookup,
    timezone: str,
    clock: Callable[[], datetime],
    handoff: Handoff | None = None,
) -> DutyService:
    """The rota on ``db``; times in ``timezone`` (the settings' ``timezone``)."""
    return DutyService(
        SqlDutyRota(db, clock, handoff=handoff),
        DutyTexts(territories, member_of, ZoneInfo(timezone)),
        clock,
    )
