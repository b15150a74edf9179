"""The escalation round ``prevnet up`` runs every ``[attention] check_seconds``.

Timers live in the database, not in memory: each round plans the waiting steps of alerts that
have none (from their first bulletin, or from when they were seen pending), stops the steps an
acknowledgement by a routed organisation, a moderator's decision or the alert's end made
pointless, and fires the steps that are due. Firing decides whom to call (the on-duty members
of the bulletin rooms' areas, or a level's moderators, sorted by their notification
preferences) and records that in the step, in the commit that queues its
:class:`~phenomena.escalation.EscalationFired` event: the outbox handlers post and mail exactly
what was recorded, once, and a restart neither fires a step twice nor forgets one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from phenomena.alert import Alert, AlertStatus
from phenomena.escalation import (
    ACK,
    EscalationFired,
    Timers,
    duration_text,
    duty_areas,
    entitled_members,
    in_room,
    level_moderators,
    routed_organisations,
    sort_calls,
)
from phenomena.notify_prefs import NotifyPreference
from phenomena.partners import Member, Organisation
from phenomena.priority import Priority
from phenomena.storage.escalations import EscalationStep, SqlEscalations
from phenomena.storage.unit_of_work import SqlUnitOfWork, utc_now
from phenomena.territory import TerritoryRegistry

log = logging.getLogger(__name__)

OnDuty = Callable[[str, Sequence[str], datetime], Awaitable[Sequence[str]]]
"""The Matrix IDs of the members on duty for some areas of a scope (zone, province) at a time."""
BulletinRooms = Callable[[int], Awaitable[Collection[str]]]
Preferences = Callable[[Sequence[str]], Awaitable[Mapping[str, NotifyPreference]]]


class EscalationJob:
    """One round of escalation: plan, stop, fire (``run``)."""

    def __init__(
        self,
        *,
        store: SqlEscalations,
        uow: Callable[[], SqlUnitOfWork],
        territories: TerritoryRegistry,
        timers: Timers,
        timezone: str,
        on_duty: OnDuty,
        bulletin_rooms: BulletinRooms,
        preferences: Preferences,
        email: bool,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._uow = uow
        self._territories = territories
        self._timers = timers
        self._zone = ZoneInfo(timezone)
        self._on_duty = on_duty
        self._bulletin_rooms = bulletin_rooms
        self._preferences = preferences
        self._email = email
        self._clock = clock

    async def run(self) -> int:
        """Plan, stop and fire; returns how many steps fired."""
        await self._store.plan(self._timers)
        waiting = await self._store.waiting()
        if not waiting:
            return 0
        now = self._clock()
        ids = {s.alert_id for s in waiting}
        statuses = await self._store.statuses(ids)
        acknowledged = await self._store.acknowledging(ids)
        need = {
            s.alert_id
            for s in waiting
            if s.due_at <= now or (s.kind == ACK and s.alert_id in acknowledged)
        }
        if not need:
            return 0
        alerts, members, organisations = await self._read(need)
        priorities = await self._store.priorities(need)
        stops: dict[str, list[int]] = {}
        due: list[EscalationStep] = []
        for step in waiting:
            status = statuses.get(step.alert_id)
            if step.kind == ACK:
                if status not in (AlertStatus.PUBLISHED.value, AlertStatus.UPDATED.value):
                    stops.setdefault("the alert is no longer open", []).append(step.id)
                    continue
                alert = alerts.get(step.alert_id)
                if alert is None:
                    continue
                if priorities.get(step.alert_id) is Priority.INFO:
                    stops.setdefault("an info alert is never escalated", []).append(step.id)
                    continue
                counted = routed_organisations(alert, organisations.values(), self._territories)
                if acknowledged.get(step.alert_id, set()) & counted:
                    stops.setdefault("acknowledged", []).append(step.id)
                    continue
            elif status != AlertStatus.PENDING_MODERATION.value:
                stops.setdefault("a moderator decided", []).append(step.id)
                continue
            if step.due_at <= now and step.alert_id in alerts:
                due.append(step)
        for reason, step_ids in stops.items():
            await self._store.stop(step_ids, reason)
        fired = 0
        for step in due:
            alert = alerts[step.alert_id]
            priority = priorities.get(step.alert_id, Priority.NORMAL)
            try:
                if await self._fire(step, alert, priority, members, organisations, now):
                    fired += 1
            except Exception as exc:  # one step that cannot fire must not hold back the others
                log.error(
                    "escalation of %s (%s, level %d) could not fire (%s: %s); it stays waiting "
                    "and is tried again next round",
                    alert.ref,
                    step.kind,
                    step.level,
                    type(exc).__name__,
                    exc,
                )
        return fired

    async def _read(
        self, alert_ids: set[int]
    ) -> tuple[dict[int, Alert], dict[str, Member], dict[str, Organisation]]:
        async with self._uow() as unit:
            alerts = {}
            for alert_id in sorted(alert_ids):
                alert = await unit.alerts.get(alert_id)
                if alert is not None:
                    alerts[alert_id] = alert
            members = {m.matrix_id: m for m in await unit.members.list()}
            organisations = {o.key: o for o in await unit.organisations.list()}
        return alerts, members, organisations

    async def _fire(
        self,
        step: EscalationStep,
        alert: Alert,
        priority: Priority,
        members: Mapping[str, Member],
        organisations: Mapping[str, Organisation],
        now: datetime,
    ) -> bool:
        if step.kind == ACK:
            detail = await self._ack_detail(alert, priority, members, organisations, now)
        else:
            detail = await self._moderation_detail(
                step, alert, priority, members, organisations, now
            )
        counted = routed_organisations(alert, organisations.values(), self._territories)
        async with self._uow() as unit:
            if not await self._store.fire(unit.session, step, detail, now, counted):
                return False
            unit.record(EscalationFired(alert_id=step.alert_id, kind=step.kind, level=step.level))
            await unit.commit()
        log.info("escalation of %s fired (%s, level %d)", alert.ref, step.kind, step.level)
        return True

    async def _ack_detail(
        self,
        alert: Alert,
        priority: Priority,
        members: Mapping[str, Member],
        organisations: Mapping[str, Organisation],
        now: datetime,
    ) -> dict[str, Any]:
        """Whom each bulletin room's post mentions, whom their preferences hold, who is mailed."""
        rooms: dict[str, list[str]] = {}
        for room in sorted(await self._bulletin_rooms(alert.id)):
            on_duty: list[str] = []
            for scope, area in duty_areas(room, alert, self._territories):
                on_duty += await self._on_duty(scope, [area], now)
            readers = entitled_members(alert, on_duty, members, organisations, self._territories)
            rooms[room] = [
                m
                for m in readers
                if in_room(members[m], room, alert, organisations, self._territories)
            ]
        everyone = sorted({m for found in rooms.values() for m in found})
        preferences = await self._preferences(everyone)
        local = now.astimezone(self._zone)
        detail: dict[str, Any] = {
            "at": now.isoformat(),
            "priority": priority.value,
            "after": duration_text(self._timers.ack_after(priority) or timedelta()),
            "names": {m: members[m].display_name for m in everyone},
            "rooms": {},
        }
        for room, found in rooms.items():
            call = sort_calls(found, preferences, priority, local)
            detail["rooms"][room] = {"mentioned": list(call.called), "held": list(call.held)}
        if self._email:
            call = sort_calls(everyone, preferences, priority, local)
            mailed = [m for m in call.called if members[m].email]
            detail["email"] = {
                "to": mailed,
                "held": list(call.held),
                "no_address": [m for m in call.called if not members[m].email],
            }
        return detail

    async def _moderation_detail(
        self,
        step: EscalationStep,
        alert: Alert,
        priority: Priority,
        members: Mapping[str, Member],
        organisations: Mapping[str, Organisation],
        now: datetime,
    ) -> dict[str, Any]:
        """The level's moderators, sorted by their preferences."""
        active = [m for m in members.values() if m.is_active]
        found = level_moderators(alert, step.level, active, organisations, self._territories)
        preferences = await self._preferences(found)
        call = sort_calls(found, preferences, priority, now.astimezone(self._zone))
        return {
            "at": now.isoformat(),
            "priority": priority.value,
            "after": duration_text(self._timers.moderation_after(step.level)),
            "level": step.level,
            "names": {m: members[m].display_name for m in found},
            "mentioned": list(call.called),
            "held": list(call.held),
        }
