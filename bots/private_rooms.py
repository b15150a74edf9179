"""Where private alert messages go: a TLP:RED alert's own room, and people's direct chats.

A RED alert's room is made by the bot with exactly the active members of its recipient
organisations (``AlertRooms``, implemented by ``bots.network.MatrixNetwork``), and renamed as
closed when the alert closes or expires. Room names and topics are not encrypted in Matrix, so
they carry the alert's reference and label only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Protocol

from phenomena.alert import Alert
from phenomena.audience import eligible_moderators
from phenomena.partners import MemberStatus
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.territory import TerritoryRegistry


class AlertRooms(Protocol):
    """What delivery needs to make and close an alert's own room (``MatrixNetwork``)."""

    async def alert_room(self, key: str, name: str, topic: str, members: Collection[str]) -> str:
        """The room recorded under ``key``, or a new one with exactly ``members``."""
        ...

    async def close_alert_room(self, key: str, name: str) -> None:
        """Mark the room closed; its members keep it and its history."""
        ...


def alert_room_name(alert: Alert, closed: bool = False) -> str:
    """The room's name, visible to the homeserver: reference and label, nothing else."""
    name = f"{alert.ref} · {alert.content.tlp.label}"
    return f"{name} (closed)" if closed else name


def alert_room_topic(alert: Alert) -> str:
    """The room's topic, visible to the homeserver: what the room is, not what it says."""
    return (
        f"The room of alert {alert.ref} ({alert.content.tlp.label}): its recipients only. "
        "Nobody joins it later; it is closed when the alert closes."
    )


UowFactory = Callable[[], UnitOfWork]


async def recipient_members(uow: UowFactory, alert: Alert) -> list[str]:
    """The Matrix IDs of the active members of the alert's recipient organisations."""
    async with uow() as unit:
        members = await unit.members.list(statuses=[MemberStatus.ACTIVE])
    recipients = set(alert.recipients) or {alert.organisation}
    return sorted(m.matrix_id for m in members if m.organisation in recipients)


async def deciding_moderators(
    uow: UowFactory, alert: Alert, territories: TerritoryRegistry
) -> list[str]:
    """The moderators who may read and decide on the alert (never its author)."""
    async with uow() as unit:
        members = await unit.members.list(statuses=[MemberStatus.ACTIVE])
        organisations = {o.key: o for o in await unit.organisations.list()}
    return [m.matrix_id for m in eligible_moderators(alert, members, organisations, territories)]
