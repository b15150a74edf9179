"""Use cases of the weekly volume budget: whether publishing a draft (or making a published info
alert normal) would go beyond a routed room's normal bulletins for the week (the author is then
asked), and folding a draft into the digest (it becomes ``info``: published without a bulletin,
its TLP and routing unchanged)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from phenomena.alert import Alert, AlertContent, AlertStatus
from phenomena.budget import (
    RoomVolume,
    budget_note,
    budget_prompt,
    budget_week,
    full_rooms,
    update_prompt,
)
from phenomena.partners import Member, Role
from phenomena.priority import Priority
from phenomena.routing import Route, route_alert
from phenomena.services.alerts import (
    ModerationPolicy,
    _acting_member,
    _own_draft,
    _send_on,
)
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.territory import TerritoryRegistry

RoomExists = Callable[[str], Awaitable[bool]]


class VolumeQuery(Protocol):
    """The bulletins each room got in a period (``SqlBulletinVolume``)."""

    async def volumes(
        self, since: datetime, until: datetime, rooms: Collection[str] | None = None
    ) -> Mapping[str, RoomVolume]: ...


@dataclass(frozen=True)
class WeeklyBudget:
    """The budget as configured: normal bulletins a room takes per ISO week, in ``timezone``."""

    volumes: VolumeQuery
    per_week: int = 5
    timezone: str = "Europe/Brussels"

    async def week_volumes(
        self, now: datetime, rooms: Collection[str] | None = None
    ) -> Mapping[str, RoomVolume]:
        """Each room's bulletins so far in the ISO week of ``now``."""
        since, until = budget_week(now, self.timezone)
        return await self.volumes.volumes(since, until, rooms)


async def _beyond(
    budget: WeeklyBudget,
    alert: Alert,
    content: AlertContent,
    actor: Member,
    territories: TerritoryRegistry,
    now: datetime,
    room_exists: RoomExists | None,
) -> tuple[tuple[str, ...], Mapping[str, RoomVolume]]:
    """The routed rooms ``content`` would take beyond their budget, and the week's counts."""
    if content.priority is not Priority.NORMAL or actor.has(Role.MODERATOR):
        return (), {}  # urgent and info alerts, and moderators, are never held
    route = route_alert(content, territories, alert_id=alert.id, recipients=alert.recipients)
    rooms = [r for r in route.rooms if not r.startswith("alert:")]  # a RED alert's own room
    if room_exists is not None:
        rooms = [r for r in rooms if await room_exists(r)]
    volumes = await budget.week_volumes(now, rooms)
    return full_rooms(content.priority, rooms, volumes, budget.per_week), volumes


async def held_for_budget(
    uow: UnitOfWork,
    budget: WeeklyBudget,
    alert_id: int,
    author: str,
    territories: TerritoryRegistry,
    now: datetime,
    room_exists: RoomExists | None = None,
) -> str | None:
    """What to ask the author before publishing their draft beyond a room's budget, or None to
    go ahead. None too for anything ``submit_draft`` refuses itself (someone else's alert, no
    draft): it then answers as it always does, so this tells nobody anything more."""
    async with uow:
        member = await uow.members.get(author)
        alert = await uow.alerts.get(alert_id)
    if member is None or alert is None or alert.author != author:
        return None
    if alert.status is not AlertStatus.DRAFT:
        return None
    full, volumes = await _beyond(
        budget, alert, alert.content, member, territories, now, room_exists
    )
    return budget_prompt(alert.ref, full, volumes, budget.per_week) if full else None


async def draft_note(
    budget: WeeklyBudget,
    draft: Alert,
    author: Member,
    territories: TerritoryRegistry,
    now: datetime,
    room_exists: RoomExists | None = None,
) -> str | None:
    """The line a draft's preview gets when publishing it will be held, so nothing surprises."""
    full, volumes = await _beyond(
        budget, draft, draft.content, author, territories, now, room_exists
    )
    return budget_note(draft.ref, full, volumes, budget.per_week) if full else None


async def held_for_update(
    budget: WeeklyBudget,
    alert: Alert,
    content: AlertContent,
    actor: Member,
    territories: TerritoryRegistry,
    now: datetime,
    room_exists: RoomExists | None = None,
) -> str | None:
    """What to ask before a published info alert is made normal (it would then post bulletins)
    beyond a room's budget, or None to go ahead; moderators are never held."""
    if not alert.status.is_open or alert.content.priority is not Priority.INFO:
        return None
    full, volumes = await _beyond(budget, alert, content, actor, territories, now, room_exists)
    return update_prompt(alert.ref, full, volumes, budget.per_week) if full else None


async def fold_draft(
    uow: UnitOfWork,
    alert_id: int,
    author: str,
    territories: TerritoryRegistry,
    policy: ModerationPolicy,
    now: datetime,
) -> tuple[Alert, Route]:
    """The author folds their draft into the digest: it becomes ``info`` and is published (or
    sent to moderation, as ``submit_draft`` would), and posts no bulletin. Only the priority
    changes: its TLP, routing and recipients stay what they were."""
    async with uow:
        member = await _acting_member(uow, author)
        member.require(Role.AUTHOR, "publish alerts")
        alert = await _own_draft(uow, alert_id, author, territories)
        alert.fold_into_digest(now)
        route = await _send_on(uow, alert, member, territories, policy, now)
    return alert, route
