"""Use cases for phenomenon alerts: create, moderate, update, close and expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from phenomena.alert import Alert, AlertContent, AlertStatus, format_ref
from phenomena.errors import IllegalTransition, NotFound, PermissionDenied
from phenomena.partners import Member, OrganisationKind, Role
from phenomena.routing import Route, route_alert
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp


@dataclass(frozen=True)
class ModerationPolicy:
    """Which alerts need a moderator's approval before they go out (four eyes).

    By default: alerts from authors outside the police, and every TLP:CLEAR alert, because
    CLEAR may be passed on to the public.
    """

    moderate_non_police: bool = True
    moderate_clear: bool = True

    def needs_moderation(self, content: AlertContent, kind: OrganisationKind) -> bool:
        """Whether this alert from an organisation of this kind waits for a moderator."""
        if self.moderate_clear and content.tlp is Tlp.CLEAR:
            return True
        return self.moderate_non_police and not kind.is_police


Actor = str | Member
"""Who acts: a Matrix ID, read in the use case's own transaction, or the member the caller read
for this very request (the bot reads the sender of every message before it looks at the
command), which is not read a second time on the way to the first bulletin."""


async def _acting_member(uow: UnitOfWork, actor: Actor) -> Member:
    member = actor if isinstance(actor, Member) else await uow.members.get(actor)
    if member is None:
        raise PermissionDenied(
            f"{actor} is not a member of the network; ask an administrator to add you"
        )
    return member


def _matrix_id(actor: Actor) -> str:
    return actor.matrix_id if isinstance(actor, Member) else actor


async def _alert(uow: UnitOfWork, alert_id: int) -> Alert:
    alert = await uow.alerts.get(alert_id)
    if alert is None:
        raise NotFound(f"there is no alert {format_ref(alert_id)}; `!alert list` shows them")
    return alert


def _may_edit(member: Member, alert: Alert) -> bool:
    if member.has(Role.MODERATOR):
        return True
    if not member.has(Role.AUTHOR):
        return False
    return alert.author == member.matrix_id or alert.organisation == member.organisation


async def _editable_alert(uow: UnitOfWork, alert_id: int, actor: Actor, action: str) -> Alert:
    """The alert, if ``actor`` may change it: authors of its organisation, and moderators."""
    member = await _acting_member(uow, actor)
    alert = await _alert(uow, alert_id)
    if not _may_edit(member, alert):
        member.require(Role.MODERATOR, f"{action} alert {alert.ref} of another organisation")
    return alert


async def create_alert(
    uow: UnitOfWork,
    content: AlertContent,
    author: Actor,
    territories: TerritoryRegistry,
    policy: ModerationPolicy,
    now: datetime,
) -> tuple[Alert, Route]:
    """Record a new alert: published at once, or sent to moderation as the policy says."""
    async with uow:
        member = await _acting_member(uow, author)
        member.require(Role.AUTHOR, "publish alerts")
        kind = await uow.organisations.kind(member.organisation)
        if kind is None:
            raise NotFound(f"your organisation '{member.organisation}' is not registered")
        route = route_alert(content, territories)
        alert = await uow.alerts.create(content, member.matrix_id, member.organisation, now)
        if policy.needs_moderation(content, kind):
            alert.submit_for_moderation(now)
        else:
            alert.publish(route.rooms, member.matrix_id, now)
        await uow.alerts.save(alert)
        await uow.commit()
    return alert, route


async def draft_alert(
    uow: UnitOfWork,
    content: AlertContent,
    author: Actor,
    territories: TerritoryRegistry,
    now: datetime,
    origin_room: str | None = None,
) -> tuple[Alert, Route]:
    """Keep a new alert as a draft so its author can see where it goes before publishing."""
    async with uow:
        member = await _acting_member(uow, author)
        member.require(Role.AUTHOR, "publish alerts")
        route = route_alert(content, territories)
        alert = await uow.alerts.create(
            content, member.matrix_id, member.organisation, now, origin_room
        )
        await uow.commit()
    return alert, route


async def _own_draft(uow: UnitOfWork, alert_id: int, author: Actor) -> Alert:
    alert = await _alert(uow, alert_id)
    if alert.author != _matrix_id(author):
        raise PermissionDenied(f"alert {alert.ref} is not your draft")
    return alert


async def submit_draft(
    uow: UnitOfWork,
    alert_id: int,
    author: Actor,
    territories: TerritoryRegistry,
    policy: ModerationPolicy,
    now: datetime,
) -> tuple[Alert, Route]:
    """The author confirms a draft: published at once, or sent to moderation as the policy says."""
    async with uow:
        member = await _acting_member(uow, author)
        member.require(Role.AUTHOR, "publish alerts")
        alert = await _own_draft(uow, alert_id, author)
        kind = await uow.alerts.organisation_kind(alert)
        if kind is None:
            raise NotFound(f"organisation '{alert.organisation}' is not registered")
        route = route_alert(alert.content, territories)
        if policy.needs_moderation(alert.content, kind):
            alert.submit_for_moderation(now)
        else:
            alert.publish(route.rooms, member.matrix_id, now)
        await uow.alerts.save(alert)
        await uow.commit()
    return alert, route


async def discard_draft(uow: UnitOfWork, alert_id: int, author: Actor) -> Alert:
    """The author drops a draft; nothing of it was ever shown to anyone else."""
    async with uow:
        alert = await _own_draft(uow, alert_id, author)
        if alert.status is not AlertStatus.DRAFT:
            raise IllegalTransition(
                f"alert {alert.ref} is no longer a draft ({alert.status.value}); "
                f"close it with !alert close {alert.ref} instead"
            )
        await uow.alerts.delete_draft(alert_id)
        await uow.commit()
    return alert


async def approve_alert(
    uow: UnitOfWork, alert_id: int, moderator: Actor, territories: TerritoryRegistry, now: datetime
) -> tuple[Alert, Route]:
    """A moderator publishes a pending alert; routing is decided now, on today's registry."""
    async with uow:
        member = await _acting_member(uow, moderator)
        member.require(Role.MODERATOR, "approve alerts")
        alert = await _alert(uow, alert_id)
        if alert.status is not AlertStatus.PENDING_MODERATION:
            raise IllegalTransition(
                f"alert {alert.ref} is not waiting for a moderator (it is {alert.status.value})"
            )
        route = route_alert(alert.content, territories)
        alert.publish(route.rooms, member.matrix_id, now)
        await uow.alerts.save(alert)
        await uow.commit()
    return alert, route


async def reject_alert(
    uow: UnitOfWork, alert_id: int, moderator: Actor, reason: str, now: datetime
) -> Alert:
    """A moderator refuses a pending alert; the author is told why."""
    async with uow:
        member = await _acting_member(uow, moderator)
        member.require(Role.MODERATOR, "reject alerts")
        alert = await _alert(uow, alert_id)
        alert.reject(member.matrix_id, reason, now)
        await uow.alerts.save(alert)
        await uow.commit()
    return alert


async def update_alert(
    uow: UnitOfWork,
    alert_id: int,
    content: AlertContent,
    actor: Actor,
    territories: TerritoryRegistry,
    now: datetime,
) -> tuple[Alert, tuple[str, ...]]:
    """Change a published alert; authors of its organisation and moderators may."""
    async with uow:
        alert = await _alert(uow, alert_id)
        if alert.status is AlertStatus.PENDING_MODERATION:
            member = await _acting_member(uow, actor)
            member.require(Role.MODERATOR, f"edit alert {alert.ref} before it is approved")
            changed = alert.revise_pending(content, now, member.matrix_id)
            await uow.alerts.save(alert)
            await uow.commit()
            return alert, changed
        alert = await _editable_alert(uow, alert_id, actor, "change")
        route = route_alert(content, territories)
        changed = alert.update(content, route.rooms, _matrix_id(actor), now)
        if changed:
            await uow.alerts.save(alert)
        await uow.commit()
    return alert, changed


async def close_alert(
    uow: UnitOfWork, alert_id: int, actor: Actor, reason: str, now: datetime
) -> Alert:
    """Close a published alert; authors of its organisation and moderators may."""
    async with uow:
        alert = await _editable_alert(uow, alert_id, actor, "close")
        alert.close(_matrix_id(actor), reason, now)
        await uow.alerts.save(alert)
        await uow.commit()
    return alert


async def expire_due_alerts(
    uow: UnitOfWork, today: date, grace: timedelta, now: datetime
) -> list[Alert]:
    """Expire every open alert whose period plus grace ended before ``today``."""
    expired: list[Alert] = []
    async with uow:
        for alert in await uow.alerts.list(statuses=[AlertStatus.PUBLISHED, AlertStatus.UPDATED]):
            if alert.expires_after(grace) < today:
                alert.expire(now)
                await uow.alerts.save(alert)
                expired.append(alert)
        await uow.commit()
    return expired
