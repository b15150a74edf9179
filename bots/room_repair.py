"""Repairing rooms: who is in each, its settings, its power levels (a few rooms at a time).

Each change that the homeserver refuses is reported with its reason and the fix a person
should apply, and the next change is still made: one bad room or member stops nothing else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping

import nio

from bots.reconcile_report import ReconcileReport
from bots.rooms import RoomState, check, link, repair_settings, room_state, set_power
from bots.synapse_admin import MatrixAdminError, SynapseAdmin
from phenomena.room_keys import ALERT, RoomRecord
from phenomena.rooms import RoomKind, RoomSpec
from phenomena.services.unit_of_work import UnitOfWork

RETRY = "look at the room with the admin API; `prevnet reconcile` tries again"


AlertRecipients = Callable[[int], Awaitable[Collection[str] | None]]
"""The organisation keys an alert was made for (None: no such alert)."""


def stored_recipients(uow: Callable[[], UnitOfWork]) -> AlertRecipients:
    """Read an alert's recipient organisations from storage, as its room was made for them.

    The same rule as the room's creation (``bots.private_rooms.recipient_members``): the
    organisations the alert names, or else its author's organisation.
    """

    async def recipients(alert_id: int) -> Collection[str] | None:
        async with uow() as unit:
            alert = await unit.alerts.get(alert_id)
        if alert is None:
            return None
        return frozenset(alert.recipients or (alert.organisation,))

    return recipients


def alert_id_of(key: str) -> int | None:
    """The alert number of an alert room's key (``alert:12``), or None."""
    number = key[len(ALERT) :] if key.startswith(ALERT) else ""
    return int(number) if number.isdigit() else None


def refusal(exc: MatrixAdminError) -> str:
    """The homeserver's answer, as a reason."""
    return f"the homeserver refused ({exc.status} {exc.errcode}: {exc.error})"


ROOM_LANES = 4
"""Rooms repaired at once: the homeserver works on one while the answer for another travels."""


class RoomRepair:
    """Brings one room in line, as the bot; what it cannot do goes into the report."""

    def __init__(self, client: nio.AsyncClient, admin: SynapseAdmin, server_name: str) -> None:
        self.client = client
        self.admin = admin
        self.server_name = server_name

    @property
    def bot(self) -> str:
        return str(self.client.user_id)

    async def step(self, report: ReconcileReport, key: str, action: Awaitable[object]) -> bool:
        """Run one change; False (reported) if refused: the rest goes on."""
        try:
            await action
        except MatrixAdminError as exc:
            report.problem(key, refusal(exc), RETRY)
            return False
        return True

    async def kick(
        self, room_id: str, user_id: str, reason: str, key: str, report: ReconcileReport
    ) -> bool:
        """Take someone out of a room; False (reported) if the homeserver refuses."""
        try:
            check(await self.client.room_kick(room_id, user_id, reason), f"kick {user_id}")
        except MatrixAdminError as exc:
            report.problem(
                key,
                f"{user_id} should not be in this room but could not be removed: {refusal(exc)}",
                f"remove {user_id} by hand (a room's creator cannot be removed: then delete the"
                f" room with DELETE /_synapse/admin/v2/rooms/{room_id})",
            )
            return False
        return True

    async def present(self, key: str, room_id: str, report: ReconcileReport) -> RoomState | None:
        """The room's state, or None (reported) if the bot is not in it and so cannot act."""
        state = await room_state(self.admin, room_id)
        if state.members.get(self.bot) != "join":
            report.problem(
                key,
                f"prevnet's bot is not in its room {room_id}, so it cannot repair it",
                f"put the bot back: POST /_synapse/admin/v1/rooms/{room_id}/make_room_admin"
                f' {{"user_id": "{self.bot}"}}, then run `prevnet reconcile`',
            )
            return None
        return state

    async def registry_rooms(
        self,
        specs: Mapping[str, RoomSpec],
        ids: Mapping[str, str],
        wanted: Mapping[str, Mapping[str, int]],
        report: ReconcileReport,
        done: Callable[[], None],
    ) -> None:
        """Repair every registry room, :data:`ROOM_LANES` at a time; ``done`` after each."""
        lanes = asyncio.Semaphore(ROOM_LANES)

        async def one(key: str, room_id: str) -> None:
            async with lanes:
                await self.registry_room(specs[key], room_id, ids, wanted[key], report)
            done()

        async with asyncio.TaskGroup() as repairs:  # one failure cancels the others
            for key, room_id in sorted(ids.items()):
                repairs.create_task(one(key, room_id))

    async def registry_room(
        self,
        spec: RoomSpec,
        room_id: str,
        ids: Mapping[str, str],
        wanted: Mapping[str, int],
        report: ReconcileReport,
    ) -> None:
        """A registry room: exactly its members, its settings, its place, its power levels."""
        key = spec.key
        try:
            state = await self.present(key, room_id, report)
            if state is None:
                return
            present = state.members
            joined = {u for u, m in present.items() if m == "join"}
            for user_id in sorted(set(wanted) - joined):
                if await self.step(report, key, self.admin.force_join(user_id, room_id)):
                    report.joined.append((user_id, key))
            for user_id in sorted(set(present) - set(wanted) - {self.bot}):
                reason = "not given this room by the registry"
                if await self.kick(room_id, user_id, reason, key, report):
                    report.removed.append((user_id, key))
            repaired = await repair_settings(
                self.client,
                room_id,
                state,
                encrypted=spec.kind is not RoomKind.SPACE,
                name=spec.name,
                topic=spec.topic,
            )
            report.state_repaired += [(key, what) for what in repaired]
            parent = ids.get(spec.parent) if spec.parent else None
            if parent is not None and state.content("m.space.parent", parent) is None:
                await link(self.client, self.server_name, parent, room_id)
                report.state_repaired.append((key, "place in its space"))
            levels = state.content("m.room.power_levels")
            if await set_power(self.client, self.bot, room_id, levels, wanted, exact=True):
                report.power_levels_set.append(key)
        except MatrixAdminError as exc:
            report.problem(key, refusal(exc), RETRY)

    async def alert_room(
        self,
        record: RoomRecord,
        active: Mapping[str, str],
        recipients: Collection[str] | None,
        report: ReconcileReport,
    ) -> None:
        """An alert's room: nobody is added; whoever may no longer read it is taken out.

        ``active`` maps active members to their organisation; ``recipients`` are the alert's
        organisations (None when unknown: then only the inactive are taken out).
        """
        try:
            state = await self.present(record.key, record.room_id, report)
            if state is None:
                return
            for user_id in sorted(set(state.members) - {self.bot}):
                organisation = active.get(user_id)
                if organisation is None:
                    reason = "no longer an active member"
                elif recipients is not None and organisation not in recipients:
                    reason = "your organisation is not among this alert's recipients"
                else:
                    continue
                if await self.kick(record.room_id, user_id, reason, record.key, report):
                    report.removed.append((user_id, record.key))
            repaired = await repair_settings(self.client, record.room_id, state, encrypted=True)
            report.state_repaired += [(record.key, what) for what in repaired]
            levels = state.content("m.room.power_levels")
            if await set_power(self.client, self.bot, record.room_id, levels, {}, exact=True):
                report.power_levels_set.append(record.key)
        except MatrixAdminError as exc:
            report.problem(record.key, refusal(exc), RETRY)
