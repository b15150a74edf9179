"""Alerts in chat: ``!alert new|publish|cancel|update|close|show|list|reach``, ``!approve``,
``!reject``, and the reactions that acknowledge bulletins or approve pending alerts.

What may be shown where follows TLP 2.0: RED and AMBER+STRICT content only inside the alert's
own rooms; other alerts to members of a routed room, the author's organisation, moderators and
admins. State-changing commands commit at most once per chat event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bots.alert_views import errors_reply, may_see, preview
from bots.commands import Arguments, CommandRegistry, Context, Reply, UsageError
from bots.dialogue import GuidedEntry
from bots.i18n import Labels
from bots.rendering import render_alert
from phenomena.alert import Alert, AlertStatus, parse_ref
from phenomena.alert_text import format_alert_text, merge_fields, parse_alert_text
from phenomena.errors import DocumentErrors, NotFound, PermissionDenied
from phenomena.partners import Member, Organisation, Role
from phenomena.reach import ReachState, alert_reach
from phenomena.rooms import room_languages
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.territory import TerritoryRegistry

UowFactory = Callable[[str | None], UnitOfWork]


class ReachLedger(Protocol):
    """What the commands read and write of bulletins (``SqlBulletinLedger``)."""

    async def bulletins(self, alert_id: int) -> Mapping[str, object]: ...
    async def acknowledgements(self, alert_id: int) -> dict[str, list[str]]: ...
    async def acknowledge(
        self, alert_id: int, member: str, organisation: str, room: str
    ) -> bool: ...
    async def find_bulletin(self, event_id: str) -> _BulletinLike | None: ...
    async def find_moderation_notice(self, event_id: str) -> int | None: ...


class _BulletinLike(Protocol):
    @property
    def alert_id(self) -> int: ...
    @property
    def room(self) -> str: ...


@dataclass
class AlertDesk:
    """What the alert commands need, handed over by the composition root."""

    uow: UowFactory
    territories: TerritoryRegistry
    policy: ModerationPolicy
    clock: Callable[[], datetime]
    ledger: ReachLedger

    async def load(self, ref: str) -> tuple[Alert, dict[str, Organisation]]:
        async with self.uow(None) as unit:
            alert = await unit.alerts.get(parse_ref(ref))
            organisations = {o.key: o for o in await unit.organisations.list()}
        if alert is None:
            raise NotFound(f"there is no alert {ref}; !alert list shows them")
        return alert, organisations

    async def source(self, alert: Alert) -> str:
        """The source line of a bulletin: organisation (author), as they are named today."""
        async with self.uow(None) as unit:
            org_name, author = await unit.alerts.source_names(alert)
        org_name = org_name or alert.organisation
        return f"{org_name} ({author})" if author else org_name


def register_alert_commands(registry: CommandRegistry, desk: AlertDesk) -> None:
    """Add the alert commands and return nothing; reactions go through ``on_reaction``."""

    async def start_draft(context: Context, text: str) -> Reply:
        try:
            content = parse_alert_text(text, desk.territories, today=desk.clock().date())
        except DocumentErrors as exc:
            return errors_reply(exc, "The alert")
        alert, route = await use.draft_alert(
            desk.uow(context.event_id),
            content,
            context.actor,
            desk.territories,
            desk.clock(),
            origin_room=context.room_id,
        )
        async with desk.uow(None) as unit:
            kind = await unit.organisations.kind(alert.organisation)
        moderated = kind is not None and desk.policy.needs_moderation(content, kind)
        return preview(alert, route, desk.territories, moderated, await desk.source(alert))

    def languages_of(context: Context) -> tuple[str, ...]:
        return room_languages(context.room_key, desk.territories) if context.room_key else ()

    guided = GuidedEntry(desk.territories, desk.clock, start_draft, languages_of=languages_of)
    registry.fallback = guided.answer

    @registry.command(
        "alert new",
        raw=True,
        needs=Role.AUTHOR,
        usage="alert new (then field: value lines)",
        help="write an alert (lines under the command), or alone for a guided entry",
    )
    async def new(context: Context, args: Arguments) -> Reply:
        if not args.rest.strip():
            return guided.start(context)
        # the text keeps the command's line, so line numbers match the message as typed
        return await start_draft(context, args.rest)

    @registry.command(
        "alert publish",
        needs=Role.AUTHOR,
        usage="alert publish A-12",
        help="publish your draft (or send it to moderation)",
    )
    async def publish(context: Context, args: Arguments) -> Reply | None:
        ref = _ref(args)
        alert, _ = await use.submit_draft(
            desk.uow(context.event_id),
            parse_ref(ref),
            context.actor,
            desk.territories,
            desk.policy,
            desk.clock(),
        )
        if alert.status is AlertStatus.PENDING_MODERATION:
            return Reply(f"{alert.ref} is sent to the moderators; you will be told here.")
        # No reply now: the delivery tells the author "published in N room(s)" as soon as the
        # bulletins are out. A reply here would reach the homeserver first and, when the author
        # typed in a routed room, hold the bulletin back: Synapse writes a room's events one
        # after the other.
        return None

    @registry.command(
        "alert cancel",
        needs=Role.AUTHOR,
        usage="alert cancel A-12",
        help="drop your draft",
    )
    async def cancel(context: Context, args: Arguments) -> Reply:
        alert = await use.discard_draft(
            desk.uow(context.event_id), parse_ref(_ref(args)), context.actor
        )
        return Reply(f"Draft {alert.ref} is dropped; nobody else saw it.")

    @registry.command(
        "alert update",
        raw=True,
        needs=Role.AUTHOR,
        usage="alert update A-12 field: value",
        help="change a published alert; its bulletins are edited in place",
    )
    async def update(context: Context, args: Arguments) -> Reply:
        ref = _ref(args)
        alert, _ = await desk.load(ref)
        changes = _after_ref(args)
        if not changes.strip():
            raise UsageError("say what changes, e.g. summary: new text")
        merged, errors = merge_fields(format_alert_text(alert.content, desk.territories), changes)
        if errors:
            return errors_reply(DocumentErrors(errors), "The update")
        try:
            content = parse_alert_text(merged, desk.territories, today=desk.clock().date())
        except DocumentErrors as exc:
            return errors_reply(exc, "The update")
        updated, changed = await use.update_alert(
            desk.uow(context.event_id),
            alert.id,
            content,
            context.actor,
            desk.territories,
            desk.clock(),
        )
        if not changed:
            return Reply(f"{updated.ref} already says that; nothing changed.")
        if updated.status is AlertStatus.PENDING_MODERATION:
            return Reply(
                f"{updated.ref} is edited ({', '.join(changed)}); "
                f"approve it with !approve {updated.ref}."
            )
        return Reply(f"{updated.ref} is updated ({', '.join(changed)}); its bulletins are edited.")

    @registry.command(
        "alert close",
        raw=True,
        needs=Role.AUTHOR,
        usage="alert close A-12 [reason]",
        help="close an alert; its bulletins are marked closed",
    )
    async def close(context: Context, args: Arguments) -> Reply:
        ref = _ref(args)
        reason = _after_ref(args)
        alert = await use.close_alert(
            desk.uow(context.event_id), parse_ref(ref), context.actor, reason.strip(), desk.clock()
        )
        return Reply(f"{alert.ref} is closed.")

    @registry.command(
        "alert show",
        usage="alert show A-12",
        help="show an alert",
    )
    async def show(context: Context, args: Arguments) -> Reply:
        alert, organisations = await desk.load(_ref(args))
        member = _member(context)
        if not may_see(
            alert,
            member,
            organisations.get(member.organisation),
            context.room_key,
            desk.territories,
        ):
            raise PermissionDenied(f"{alert.ref} is not shared with you here")
        languages = room_languages(context.room_key or "", desk.territories)
        rendered = render_alert(
            alert,
            desk.territories,
            Labels(languages),
            await desk.source(alert),
            footer=f"Status: {alert.status.value}",
        )
        return Reply(rendered.text, rendered.html)

    @registry.command(
        "alert list",
        usage="alert list [open|mine|all] [zone=KEY]",
        help="list the alerts you may see",
    )
    async def list_(context: Context, args: Arguments) -> Reply:
        member = _member(context)
        words = {w.lower() for w in args.positional}
        statuses = None if "all" in words else [AlertStatus.PUBLISHED, AlertStatus.UPDATED]
        async with desk.uow(None) as unit:
            alerts = await unit.alerts.list(
                statuses=statuses,
                author=context.sender if "mine" in words else None,
                room=f"zone:{args.option('zone')}" if args.option("zone") else None,
            )
            organisations = {o.key: o for o in await unit.organisations.list()}
        org = organisations.get(member.organisation)
        visible = [a for a in alerts if may_see(a, member, org, context.room_key, desk.territories)]
        if not visible:
            return Reply("No alerts to show.")
        lines = [f"{len(visible)} alert(s):"]
        for a in visible[-50:]:
            area = ", ".join(
                desk.territories.municipalities[n].own_name for n in a.content.municipalities[:3]
            )
            lines.append(
                f"- {a.ref} {a.content.tlp.label} {a.content.type.value} in {area} "
                f"({a.status.value}, from {a.content.period_start:%d/%m})"
            )
        return Reply("\n".join(lines))

    @registry.command(
        "alert reach",
        needs=Role.AUTHOR,
        usage="alert reach A-12",
        help="per routed organisation: seen, delivered, or not yet",
    )
    async def reach(context: Context, args: Arguments) -> Reply:
        alert, organisations = await desk.load(_ref(args))
        member = _member(context)
        if not (
            alert.author == member.matrix_id
            or member.organisation == alert.organisation
            or member.has(Role.MODERATOR)
        ):
            raise PermissionDenied(f"only {alert.ref}'s organisation and moderators see its reach")
        delivered = list((await desk.ledger.bulletins(alert.id)).keys())
        seen = await desk.ledger.acknowledgements(alert.id)
        rows = alert_reach(alert, organisations.values(), desk.territories, delivered, seen)
        counts = {state: sum(1 for r in rows if r.state is state) for state in ReachState}
        lines = [
            f"Reach of {alert.ref}: {counts[ReachState.SEEN]} seen, "
            f"{counts[ReachState.DELIVERED]} delivered, {counts[ReachState.NOT_YET]} not yet."
        ]
        for row in rows:
            who = f" (by {', '.join(row.seen_by)})" if row.seen_by else ""
            lines.append(f"- {row.name} [{row.key}]: {row.state.value}{who}")
        return Reply("\n".join(lines))

    @registry.command(
        "approve",
        needs=Role.MODERATOR,
        usage="approve A-12",
        help="publish a pending alert",
    )
    async def approve(context: Context, args: Arguments) -> Reply:
        alert, route = await use.approve_alert(
            desk.uow(context.event_id),
            parse_ref(_ref(args)),
            context.actor,
            desk.territories,
            desk.clock(),
        )
        return Reply(f"{alert.ref} is approved and on its way to {len(route.targets)} room(s).")

    @registry.command(
        "reject",
        raw=True,
        needs=Role.MODERATOR,
        usage="reject A-12 reason",
        help="refuse a pending alert; its author is told why",
    )
    async def reject(context: Context, args: Arguments) -> Reply:
        ref = _ref(args)
        reason = _after_ref(args)
        alert = await use.reject_alert(
            desk.uow(context.event_id), parse_ref(ref), context.actor, reason, desk.clock()
        )
        return Reply(f"{alert.ref} is rejected; its author is told why.")


def _ref(args: Arguments) -> str:
    if not args.positional:
        raise UsageError("name the alert, e.g. A-12")
    return args.positional[0]


def _after_ref(args: Arguments) -> str:
    """What follows the alert reference: the changes, or a reason."""
    parts = args.rest.split(None, 1)
    return parts[1].strip() if len(parts) > 1 else ""


def _member(context: Context) -> Member:
    if context.member is None:  # dispatch never calls handlers for strangers
        raise PermissionDenied("you are not a member of the network")
    return context.member
