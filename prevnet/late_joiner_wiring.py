"""Builds the late joiners' key re-sharing for a bot device (``bots.late_joiners``).

Here because it reads prevnet's database (which alerts are open, where their bulletins are) and
the bot's key store, which the bots package receives as collaborators rather than opens itself.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

import nio

from bots import key_store
from bots.late_joiners import LateJoiners, MemberLookup, OpenBulletins
from bots.room_key_history import RoomKeyHistory, history_file
from phenomena.alert import AlertStatus
from phenomena.storage.bulletins import SqlBulletinLedger
from phenomena.storage.unit_of_work import SqlUnitOfWork

OPEN = (AlertStatus.PUBLISHED, AlertStatus.UPDATED)


def open_bulletins(uow: Callable[[], SqlUnitOfWork], ledger: SqlBulletinLedger) -> OpenBulletins:
    """The event IDs of every open alert's bulletins (closed and expired alerts have none)."""

    async def event_ids() -> Collection[str]:
        async with uow() as unit:
            alerts = await unit.alerts.list(statuses=OPEN)
        found: set[str] = set()
        for alert in alerts:
            found |= {record.event_id for record in (await ledger.bulletins(alert.id)).values()}
        return found

    return event_ids


def late_joiners(
    client: nio.AsyncClient,
    store: Path,
    member_of: MemberLookup,
    bulletins: OpenBulletins,
) -> LateJoiners:
    """Key re-sharing attached to the bot's client, its history kept in the bot's key store."""
    history = RoomKeyHistory(
        history_file(store, client.user_id, client.device_id), key_store.pickle_key(store)
    )
    sharing = LateJoiners(client, history, member_of, bulletins)
    sharing.attach()
    return sharing
