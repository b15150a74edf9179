"""Use cases for phenomenon alerts: create, moderate, update, close and expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from phenomena.alert import Alert, AlertContent, AlertStatus, format_ref
from phenomena.audience import (
    default_recipients,
    home_area,
    may_change,
    may_moderate,
    may_read,
    widening,
)
from phenomena.errors import IllegalTransition, InvalidValue, NotFound, PermissionDenied
from phenomena.partners import Member, Organisation, OrganisationKind, Role
from phenomena.priority import Priority
from phenomena.routing import Route, route_alert
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp


@dataclass(frozen=True)
class ModerationPolicy:
    """Which alerts need a moderator's approval before they go out (four eyes).

    By default: alerts from authors outside the police, every TLP:CLEAR alert (CLEAR may be
    passed on to the public), and police alerts outside their organisation's territory and the
    municipalities bordering it.
    """

    moderate_non_police: bool = True
    moderate_clear: bool = True

    def needs_moderation(
        self,
        content: AlertContent,
        kind: OrganisationKind,
        home: frozenset[str] | None = None,
    ) -> bool:
        """Whether this alert from an organisation of this kind waits for a moderator.

        ``home`` is the organisation's territory and its neighbours (``audience.home_area``);
        a police alert reaching beyond it (or with no territory known) is moderated.
        """
        if self.moderate_clear and content.tlp is Tlp.CLEAR:
            return True
        if not kind.is_police:
            return self.moderate_non_police
        return home is None or not set(content.municipalities) <= home


async def _acting_member(uow: UnitOfWork, matrix_id: str) -> Member:
    """The acting member as this transaction reads them (a suspension just made counts)."""
    member = await uow.members.get(matrix_id)
    if member is None:
        raise PermissionDenied(
            f"{matrix_id} is not a member of the network; ask an administrator to add you"
        )
    return member


def unseen(ref: str) -> NotFound:
    """The one answer for an alert that does not exist and one the asker may not see."""
    return NotFound(f"there is no alert {ref} you can see; !alert list shows yours")


async def _registry(uow: UnitOfWork) -> dict[str, Organisation]:
    return {o.key: o for o in await uow.organisations.list()}


def recipients_for(
    content: AlertContent,
    author_organisation: str,
    organisations: dict[str, Organisation],
    territories: TerritoryRegistry,
) -> tuple[str, ...]:
    """Who a RED alert's own room is for (nothing for other labels); unknown names refused."""
    unknown = [key for key in content.recipients if key not in organisations]
    if unknown:
        raise InvalidValue(
            f"recipients: no organisation {', '.join(repr(k) for k in unknown)}; "
            "!alert recipients lists the organisation keys you can name"
        )
    if content.tlp is not Tlp.RED:
        return ()
    return default_recipients(content, author_organisation, organisations.values(), territories)


def _route(alert: Alert, territories: TerritoryRegistry) -> Route:
    return route_alert(alert.content, territories, alert_id=alert.id, recipients=alert.recipients)


def _needs_moderation(
    alert: Alert,
    organisation: Organisation | None,
    territories: TerritoryRegistry,
    policy: ModerationPolicy,
) -> bool:
    if organisation is None:
        raise NotFound(f"organisation '{alert.organisation}' is not registered")
    home = home_area(organisation, territories)
    return policy.needs_moderation(alert.content, organisation.kind, home)


async def create_alert(
    uow: UnitOfWork,
    content: AlertContent,
    author: str,
    territories: TerritoryRegistry,
    policy: ModerationPolicy,
    now: datetime,
) -> tuple[Alert, Route]:
    """Record a new alert: published at once, or sent to moderation as the policy says."""
    async with uow:
        member = await _acting_member(uow, author)
        member.require(Role.AUTHOR, "publish alerts")
        organisations = await _registry(uow)
        if member.organisation not in organisations:
            raise NotFound(f"your organisation '{member.organisation}' is not registered")
        recipients = recipients_for(content, member.organisation, organisations, territories)
        alert = await uow.alerts.create(content, member.matrix_id, member.organisation, now)
        alert.recipients = recipients
        route = _route(alert, territories)
        if _needs_moderation(alert, organisations.get(alert.organisation), territories, policy):
            alert.submit_for_moderation(now)
        else:
            alert.publish(route.rooms, member.matrix_id, now)
        await uow.alerts.save(alert)
        await uow.commit()
    return alert, route


async def draft_alert(
    uow: UnitOfWork,
    content: AlertContent,
    author: str,
    territories: TerritoryRegistry,
    now: datetime,
    origin_room: str | None = None,
) -> tuple[Alert, Route]:
    """Keep a new alert as a draft so its author can see where it goes before publishing.

    ``origin_room`` is the shared room it was typed in (None: the author's direct chat).
    """
    async with uow:
        member = await _acting_member(uow, author)
        member.require(Role.AUTHOR, "publish alerts")
        organisations = await _registry(uow)
        recipients = recipients_for(content, member.organisation, organisations, territories)
        alert = await uow.alerts.create(
            content, member.matrix_id, member.organisation, now, origin_room
        )
        if recipients:
            alert.recipients = recipients
            await uow.alerts.save(alert)
        route = _route(alert, territories)
        await uow.commit()
    return alert, route


async def will_need_moderation(
    uow: UnitOfWork, alert: Alert, territories: TerritoryRegistry, policy: ModerationPolicy
) -> bool:
    """Whether publishing this draft will wait for a moderator (what its preview says)."""
    async with uow:
        organisation = await uow.organisations.get(alert.organisation)
        if organisation is None:
            return True
        return _needs_moderation(alert, organisation, territories, policy)


async def _own_draft(
    uow: UnitOfWork, alert_id: int, author: str, territories: TerritoryRegistry | None
) -> Alert:
    """The author's own alert; someone else's answers as a missing one unless they may read it
    (no existence oracle)."""
    alert = await uow.alerts.get(alert_id)
    if alert is not None and alert.author == author:
        return alert
    if alert is not None and territories is not None:
        member = await uow.members.get(author)
        organisation = await uow.organisations.get(member.organisation) if member else None
        if member is not None and may_read(alert, member, organisation, territories):
            raise PermissionDenied(f"alert {alert.ref} is not your draft")
    raise unseen(format_ref(alert_id))


async def submit_draft(
    uow: UnitOfWork,
    alert_id: int,
    author: str,
    territories: TerritoryRegistry,
    policy: ModerationPolicy,
    now: datetime,
) -> tuple[Alert, Route]:
    """The author confirms a draft: published at once, or sent to moderation as the policy says.

    Police authors publish at once only inside their organisation's territory and its
    neighbours; elsewhere a moderator (not the author) approves.
    """
    async with uow:
        member = await _acting_member(uow, author)
        member.require(Role.AUTHOR, "publish alerts")
        alert = await _own_draft(uow, alert_id, author, territories)
        route = await _send_on(uow, alert, member, territories, policy, now)
    return alert, route


async def _send_on(
    uow: UnitOfWork,
    alert: Alert,
    member: Member,
    territories: TerritoryRegistry,
    policy: ModerationPolicy,
    now: datetime,
) -> Route:
    """Publish a draft, or put it before a moderator where the policy says so; committed."""
    organisation = await uow.organisations.get(alert.organisation)  # its territory
    route = _route(alert, territories)
    if _needs_moderation(alert, organisation, territories, policy):
        alert.submit_for_moderation(now)
    else:
        alert.publish(route.rooms, member.matrix_id, now)
    await uow.alerts.save(alert)
    await uow.commit()
    return route


async def discard_draft(
    uow: UnitOfWork,
    alert_id: int,
    author: str,
    now: datetime,
    territories: TerritoryRegistry | None = None,
) -> Alert:
    """The author drops a draft: it is kept as cancelled (its number is not given again) and
    its text is wiped."""
    async with uow:
        alert = await _own_draft(uow, alert_id, author, territories)
        if alert.status is not AlertStatus.DRAFT:
            raise IllegalTransition(
                f"alert {alert.ref} is no longer a draft ({alert.status.value}); "
                f"close it with !alert close {alert.ref} instead"
            )
        alert.cancel(now)
        await uow.alerts.save(alert)
        await uow.commit()
    return alert


async def _decider(
    uow: UnitOfWork, alert: Alert, moderator: str, territories: TerritoryRegistry, action: str
) -> Member:
    """The moderator deciding on an alert: never its author (four eyes), and for RED and
    AMBER+STRICT one who may read it."""
    member = await _acting_member(uow, moderator)
    member.require(Role.MODERATOR, f"{action} alerts")
    if alert.author == member.matrix_id:
        raise PermissionDenied(
            f"you wrote {alert.ref}: another moderator must {action} it (four eyes)"
        )
    organisation = await uow.organisations.get(member.organisation)
    if not may_read(alert, member, organisation, territories):
        raise unseen(alert.ref)
    if not may_moderate(alert, member, organisation, territories):
        raise PermissionDenied(f"only a moderator who may read {alert.ref} can {action} it")
    return member


async def approve_alert(
    uow: UnitOfWork, alert_id: int, moderator: str, territories: TerritoryRegistry, now: datetime
) -> tuple[Alert, Route]:
    """A moderator publishes a pending alert, or a widening proposed for a published one.

    Four eyes: never the alert's author, nor a moderator who revised it while it waited, nor
    the widening's proposer.
    """
    async with uow:
        alert = await uow.alerts.get(alert_id)
        if alert is None:
            raise unseen(format_ref(alert_id))
        member = await _decider(uow, alert, moderator, territories, "approve")
        if alert.proposed is not None:
            proposal = alert.proposed
            if proposal.by == member.matrix_id:
                raise PermissionDenied(
                    f"you proposed this widening of {alert.ref}: another moderator must "
                    "approve it (four eyes)"
                )
            before = alert.recipients
            route = route_alert(
                proposal.content,
                territories,
                alert_id=alert.id,
                recipients=tuple(dict.fromkeys((*before, *proposal.recipients))),
            )
            alert.update(proposal.content, route.rooms, proposal.by, now, proposal.recipients)
            alert.status_by = member.matrix_id
            await uow.alerts.save(alert)
            await uow.commit()
            return alert, route
        if alert.status is not AlertStatus.PENDING_MODERATION:
            raise IllegalTransition(
                f"alert {alert.ref} is not waiting for a moderator (it is {alert.status.value})"
            )
        if member.matrix_id in alert.revised_by:
            raise PermissionDenied(
                f"you revised {alert.ref}: another moderator must approve it (four eyes)"
            )
        route = _route(alert, territories)
        alert.publish(route.rooms, member.matrix_id, now)
        await uow.alerts.save(alert)
        await uow.commit()
    return alert, route


async def reject_alert(
    uow: UnitOfWork,
    alert_id: int,
    moderator: str,
    reason: str,
    now: datetime,
    territories: TerritoryRegistry | None = None,
) -> Alert:
    """A moderator refuses a pending alert (or a proposed widening); the author is told why."""
    async with uow:
        alert = await uow.alerts.get(alert_id)
        if alert is None:
            raise unseen(format_ref(alert_id))
        if territories is not None:
            member = await _decider(uow, alert, moderator, territories, "reject")
        else:
            member = await _acting_member(uow, moderator)
            member.require(Role.MODERATOR, "reject alerts")
        if alert.proposed is not None:
            alert.drop_proposal(member.matrix_id, reason, now)
        else:
            alert.reject(member.matrix_id, reason, now)
        await uow.alerts.save(alert)
        await uow.commit()
    return alert


async def _changer(
    uow: UnitOfWork, alert_id: int, actor: str, territories: TerritoryRegistry, action: str
) -> tuple[Alert, Member, dict[str, Organisation]]:
    """The alert and who changes it, if they may: its organisation's authors and the
    moderators of its zone who may read it. Anybody else hears that there is no such alert
    (when they may not read it) or that it is another zone's."""
    member = await _acting_member(uow, actor)
    alert = await uow.alerts.get(alert_id)
    if alert is None or alert.status is AlertStatus.CANCELLED:
        raise unseen(format_ref(alert_id))
    organisations = await _registry(uow)
    organisation = organisations.get(member.organisation)
    if not may_read(alert, member, organisation, territories):
        raise unseen(alert.ref)
    if alert.status is AlertStatus.PENDING_MODERATION and alert.author != member.matrix_id:
        member.require(Role.MODERATOR, f"{action} alert {alert.ref} before it is approved")
    if not may_change(alert, member, organisation, territories):
        raise PermissionDenied(
            f"{action} alert {alert.ref}: only its organisation's authors and the moderators "
            "of its zone may; tell its author instead"
        )
    return alert, member, organisations


async def update_alert(
    uow: UnitOfWork,
    alert_id: int,
    content: AlertContent,
    actor: str,
    territories: TerritoryRegistry,
    now: datetime,
    policy: ModerationPolicy | None = None,
) -> tuple[Alert, tuple[str, ...]]:
    """Change an alert; authors of its organisation and the moderators of its zone may.

    With ``policy``, making an open alert urgent (it rings every routed room) is for a moderator
    when the policy moderates its organisation's alerts: the approval was for what it was.

    A change that widens a published alert (a lower TLP, more municipalities, more recipients)
    is proposed by an author of its organisation and waits for a moderator who is neither its
    author nor its proposer: ``alert.proposed`` holds it, the bulletins keep what they say.
    A pending alert is edited by moderators only, widened only by those of its organisation,
    and approved by none of them (``Alert.revised_by``).
    """
    async with uow:
        alert, member, organisations = await _changer(uow, alert_id, actor, territories, "change")
        if alert.status is AlertStatus.PENDING_MODERATION:
            member.require(Role.MODERATOR, f"edit alert {alert.ref} before it is approved")
            if alert.author == member.matrix_id:
                raise PermissionDenied(
                    f"you wrote {alert.ref}: another moderator edits and approves it (four eyes)"
                )
            recipients = recipients_for(content, alert.organisation, organisations, territories)
            wider = widening(alert.content, content, alert.recipients, recipients)
            if wider and member.organisation != alert.organisation:
                raise PermissionDenied(
                    f"widening alert {alert.ref} ({', '.join(wider)}) is for the moderators of "
                    "its organisation; tell its author, or narrow it instead"
                )
            changed = alert.revise_pending(content, now, member.matrix_id)
            alert.recipients = recipients
            await uow.alerts.save(alert)
            await uow.commit()
            return alert, changed
        if alert.proposed is not None:
            raise IllegalTransition(
                f"alert {alert.ref} has a widening waiting for a moderator; wait for "
                f"!approve {alert.ref} or !reject {alert.ref} <reason> first"
            )
        recipients = recipients_for(content, alert.organisation, organisations, territories)
        if alert.content.tlp is not Tlp.RED and content.tlp is Tlp.RED:
            recipients = ()  # refused below as a stricter label
        alert.check_not_stricter(content)
        newcomers = [r for r in recipients if r not in alert.recipients]
        if content.tlp is Tlp.RED and alert.rooms and newcomers:
            raise InvalidValue(
                f"{alert.ref}'s room was made for its recipients and nobody joins it later: to "
                f"reach {', '.join(newcomers)} too, close it and publish a new alert for them"
            )
        wider = widening(alert.content, content, alert.recipients, recipients)
        if wider and alert.status.is_open:
            if member.organisation != alert.organisation or not member.has(Role.AUTHOR):
                raise PermissionDenied(
                    f"widening alert {alert.ref} ({', '.join(wider)}) is for the authors of its "
                    "organisation, and a moderator approves it"
                )
            changed = alert.propose(content, recipients, wider, member.matrix_id, now)
            await uow.alerts.save(alert)
            await uow.commit()
            return alert, changed
        if policy is not None and _rings_unmoderated(
            alert, content, member, organisations, territories, policy
        ):
            raise PermissionDenied(
                f"making {alert.ref} urgent rings every room it is in, and its organisation's "
                f"alerts are moderated: ask a moderator to write !alert update {alert.ref} "
                "priority: urgent"
            )
        route = route_alert(
            content,
            territories,
            alert_id=alert.id,
            recipients=tuple(dict.fromkeys((*alert.recipients, *recipients))),
        )
        changed = alert.update(content, route.rooms, member.matrix_id, now, recipients)
        if changed:
            await uow.alerts.save(alert)
        await uow.commit()
    return alert, changed


def _rings_unmoderated(
    alert: Alert,
    content: AlertContent,
    member: Member,
    organisations: dict[str, Organisation],
    territories: TerritoryRegistry,
    policy: ModerationPolicy,
) -> bool:
    """Whether this change makes an open alert urgent without the moderator its policy wants."""
    if content.priority is not Priority.URGENT or alert.content.priority is Priority.URGENT:
        return False
    if not alert.status.is_open or member.has(Role.MODERATOR):
        return False
    organisation = organisations.get(alert.organisation)
    if organisation is None:
        return True
    return policy.needs_moderation(content, organisation.kind, home_area(organisation, territories))


async def close_alert(
    uow: UnitOfWork,
    alert_id: int,
    actor: str,
    reason: str,
    now: datetime,
    territories: TerritoryRegistry | None = None,
) -> Alert:
    """Close a published alert; authors of its organisation and the moderators of its zone may."""
    async with uow:
        if territories is not None:
            alert, member, _ = await _changer(uow, alert_id, actor, territories, "close")
        else:
            member = await _acting_member(uow, actor)
            found = await uow.alerts.get(alert_id)
            if found is None:
                raise unseen(format_ref(alert_id))
            alert = found
            if not (member.organisation == alert.organisation and member.has(Role.AUTHOR)):
                member.require(Role.MODERATOR, f"close alert {alert.ref} of another organisation")
        alert.close(member.matrix_id, reason, now)
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
