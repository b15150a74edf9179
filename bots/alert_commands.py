"""Alerts in chat: ``!alert new|publish|cancel|update|close|show|list|reach|recipients``,
``!approve`` and ``!reject``.

Answers are judged by their audience (``phenomena.audience``): content is posted in a room only
if every member of it may read it, otherwise it goes to the asker's direct chat with the bot
and the room gets a pointer. Drafts always go to the direct chat. An alert that does not exist
and one the asker may not see get the same answer. State-changing commands commit at most once
per chat event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bots.alert_views import errors_reply, is_direct_chat, preview, room_readers
from bots.bulletin_size import oversize
from bots.commands import Arguments, CommandRegistry, Context, Reply, UsageError
from bots.dialogue import GuidedEntry
from bots.i18n import Labels
from bots.rendering import render_alert
from phenomena.alert import Alert, AlertContent, AlertStatus, parse_ref
from phenomena.alert_text import format_alert_text, merge_fields, parse_alert_text
from phenomena.audience import Reader, may_read, room_may_show
from phenomena.errors import DocumentErrors, InvalidValue, PermissionDenied
from phenomena.partners import Member, Organisation, Role
from phenomena.reach import ReachState, alert_reach
from phenomena.rooms import room_languages
from phenomena.routing import route_alert
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy, unseen
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.territory import TerritoryRegistry

UowFactory = Callable[[str | None], UnitOfWork]
RoomExists = Callable[[str], Awaitable[bool]]


class ReachLedger(Protocol):
    """What the commands read and write of bulletins (``SqlBulletinLedger``)."""

    async def bulletins(self, alert_id: int) -> Mapping[str, object]: ...
    async def acknowledgements(self, alert_id: int) -> dict[str, list[str]]: ...
    async def acknowledge(
        self, alert_id: int, member: str, organisation: str, room: str
    ) -> bool: ...
    async def find_bulletin(self, event_id: str) -> _BulletinLike | None: ...
    async def find_moderation_notice(self, event_id: str) -> int | None: ...
    async def hold_reaction(
        self, event_id: str, target: str, member: str, organisation: str
    ) -> bool: ...


class _BulletinLike(Protocol):
    @property
    def alert_id(self) -> int: ...
    @property
    def room(self) -> str: ...


@dataclass
class AlertDesk:
    """What the alert commands need, handed over by the composition root.

    ``room_exists`` says whether a routed room exists (``MatrixNetwork.room_id(key) is not
    None``); without it every routed room is counted.
    """

    uow: UowFactory
    territories: TerritoryRegistry
    policy: ModerationPolicy
    clock: Callable[[], datetime]
    ledger: ReachLedger
    room_exists: RoomExists | None = None

    async def registry(self) -> tuple[list[Member], dict[str, Organisation]]:
        """Every member and organisation."""
        async with self.uow(None) as unit:
            members = list(await unit.members.list())
            organisations = {o.key: o for o in await unit.organisations.list()}
        return members, organisations

    async def visible(self, ref: str, member: Member) -> tuple[Alert, dict[str, Organisation]]:
        """The alert, if ``member`` may read it; else the same answer as for no alert at all."""
        alert_id = parse_ref(ref)
        async with self.uow(None) as unit:
            alert = await unit.alerts.get(alert_id)
            organisations = {o.key: o for o in await unit.organisations.list()}
        if alert is None or alert.status is AlertStatus.CANCELLED:
            raise unseen(ref)
        if not may_read(alert, member, organisations.get(member.organisation), self.territories):
            raise unseen(alert.ref)
        return alert, organisations

    async def source(self, alert: Alert) -> str:
        """The source line of a bulletin: organisation (author), as they are named today."""
        async with self.uow(None) as unit:
            org_name, author = await unit.alerts.source_names(alert)
        org_name = org_name or alert.organisation
        return f"{org_name} ({author})" if author else org_name

    async def existing(self, rooms: Sequence[str]) -> frozenset[str] | None:
        """The routed rooms that exist (an alert's own room is made when it is published)."""
        if self.room_exists is None:
            return None
        return frozenset([r for r in rooms if r.startswith("alert:") or await self.room_exists(r)])

    async def readers(self, context: Context, room_alert: Alert | None = None) -> list[Reader]:
        """Everyone who reads the room of ``context`` ([]: unknown, so shown to nobody)."""
        members, organisations = await self.registry()
        if context.room_key is not None and context.room_key.startswith("alert:"):
            async with self.uow(None) as unit:
                room_alert = await unit.alerts.get(int(context.room_key.split(":", 1)[1]))
        found = room_readers(context, members, organisations, self.territories, room_alert)
        return found or []

    def check_size(self, alert: Alert, source: str) -> None:
        """Refuse an alert whose bulletin the homeserver would refuse as too large."""
        rooms = route_alert(alert.content, self.territories, alert_id=alert.id).rooms
        too_large = oversize(alert, rooms, self.territories, source)
        if too_large is not None:
            raise InvalidValue(too_large.message(alert.ref if alert.id else "The alert"))


def register_alert_commands(registry: CommandRegistry, desk: AlertDesk) -> None:
    """Add the alert commands and return nothing; reactions go through ``on_reaction``."""

    async def start_draft(context: Context, text: str) -> Reply:
        member = _member(context)
        shared = not is_direct_chat(context)
        try:
            content = parse_alert_text(text, desk.territories, today=desk.clock().date())
        except DocumentErrors as exc:  # only what the room saw typed
            return errors_reply(exc, "The alert")
        async with desk.uow(None) as unit:
            org = await unit.organisations.get(member.organisation)
        source = f"{org.name if org else member.organisation} ({member.display_name})"
        try:
            desk.check_size(Alert(0, content, member.matrix_id, member.organisation), source)
        except InvalidValue as exc:
            return Reply(str(exc))
        alert, route = await use.draft_alert(
            desk.uow(context.event_id),
            content,
            context.sender,
            desk.territories,
            desk.clock(),
            origin_room=context.room_id if shared else None,
        )
        moderated = await use.will_need_moderation(
            desk.uow(None), alert, desk.territories, desk.policy
        )
        existing = await desk.existing(route.rooms)
        shown = preview(
            alert, route, desk.territories, moderated, await desk.source(alert), existing
        )
        return _privately(shown, context, draft=f"Draft {alert.ref}")

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
            context.sender,
            desk.territories,
            desk.policy,
            desk.clock(),
        )
        if alert.status is AlertStatus.PENDING_MODERATION:
            return Reply(
                f"{alert.ref} is sent to the moderators (another person than you approves "
                "it); you will be told in our direct chat."
            )
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
            desk.uow(context.event_id),
            parse_ref(_ref(args)),
            context.sender,
            desk.clock(),
            desk.territories,
        )
        if alert.origin_room is not None:
            return Reply(
                f"Draft {alert.ref} is dropped. It was typed in a shared room, whose members "
                "saw its text; its draft and routing were shown to you alone."
            )
        return Reply(f"Draft {alert.ref} is dropped; nobody else saw it.")

    @registry.command(
        "alert update",
        raw=True,
        needs=Role.AUTHOR,
        usage="alert update A-12 field: value",
        help="change an alert; its bulletins are edited in place (a widening waits for a "
        "moderator)",
    )
    async def update(context: Context, args: Arguments) -> Reply:
        ref = _ref(args)
        alert, _ = await desk.visible(ref, _member(context))
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
        desk.check_size(_with(alert, content), await desk.source(alert))
        updated, changed = await use.update_alert(
            desk.uow(context.event_id),
            alert.id,
            content,
            context.sender,
            desk.territories,
            desk.clock(),
        )
        if not changed:
            return Reply(f"{updated.ref} already says that; nothing changed.")
        if updated.status is AlertStatus.PENDING_MODERATION:
            return Reply(
                f"{updated.ref} is edited ({', '.join(changed)}); "
                f"another moderator approves it with !approve {updated.ref}."
            )
        if updated.proposed is not None and updated.proposed.by == context.sender:
            return Reply(
                f"This change widens {updated.ref} ({', '.join(updated.proposed.widens)}): it "
                f"waits for a moderator other than you (!approve {updated.ref}); its bulletins "
                "stay as they are until then."
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
            desk.uow(context.event_id),
            parse_ref(ref),
            context.sender,
            reason.strip(),
            desk.clock(),
            desk.territories,
        )
        return Reply(f"{alert.ref} is closed.")

    @registry.command(
        "alert show",
        usage="alert show A-12",
        help="show an alert",
    )
    async def show(context: Context, args: Arguments) -> Reply:
        member = _member(context)
        alert, organisations = await desk.visible(_ref(args), member)
        languages = room_languages(context.room_key or "", desk.territories)
        rendered = render_alert(
            alert,
            desk.territories,
            Labels(languages),
            await desk.source(alert),
            footer=f"Status: {alert.status.value}",
        )
        shown = Reply(rendered.text, rendered.html)
        if room_may_show(alert, context.room_key, await desk.readers(context), desk.territories):
            return shown
        alone: list[Reader] = [(member, organisations.get(member.organisation))]
        if not alert.content.tlp.leaves_the_zone and not room_may_show(
            alert, None, alone, desk.territories
        ):
            return Reply(
                f"{alert.ref} is {alert.content.tlp.label}: its content is shown only in its "
                "own room(s)."
            )
        return _privately(shown, context)

    @registry.command(
        "alert list",
        usage="alert list [open|mine|all] [zone=KEY]",
        help="list the alerts you may see (mine: your own, drafts included)",
    )
    async def list_(context: Context, args: Arguments) -> Reply:
        member = _member(context)
        words = {w.lower() for w in args.positional}
        mine = "mine" in words
        if "all" in words:
            statuses = None
        elif mine:
            statuses = [
                AlertStatus.DRAFT,
                AlertStatus.PENDING_MODERATION,
                AlertStatus.PUBLISHED,
                AlertStatus.UPDATED,
            ]
        else:
            statuses = [AlertStatus.PUBLISHED, AlertStatus.UPDATED]
        async with desk.uow(None) as unit:
            alerts = await unit.alerts.list(
                statuses=statuses,
                author=context.sender if mine else None,
                room=f"zone:{args.option('zone')}" if args.option("zone") else None,
            )
            organisations = {o.key: o for o in await unit.organisations.list()}
        org = organisations.get(member.organisation)
        yours = [
            a
            for a in alerts
            if a.status is not AlertStatus.CANCELLED and may_read(a, member, org, desk.territories)
        ]
        readers = await desk.readers(context)
        here = [a for a in yours if room_may_show(a, context.room_key, readers, desk.territories)]
        alone: list[Reader] = [(member, org)]
        direct = [a for a in yours if room_may_show(a, None, alone, desk.territories)]
        if is_direct_chat(context) or not {a.id for a in direct} - {a.id for a in here}:
            return Reply(_listing(here, desk.territories))
        return _privately(Reply(_listing(direct, desk.territories)), context)

    @registry.command(
        "alert reach",
        needs=Role.AUTHOR,
        usage="alert reach A-12",
        help="per routed organisation: seen, delivered, or not yet",
    )
    async def reach(context: Context, args: Arguments) -> Reply:
        member = _member(context)
        alert, organisations = await desk.visible(_ref(args), member)
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
        answer = Reply("\n".join(lines))
        readers = await desk.readers(context)
        if room_may_show(alert, context.room_key, readers, desk.territories):
            return answer
        return _privately(answer, context)

    @registry.command(
        "alert recipients",
        needs=Role.AUTHOR,
        usage="alert recipients",
        help="the organisation keys you can name in recipients: (TLP:RED alerts' own rooms)",
    )
    async def recipients(context: Context, args: Arguments) -> Reply:
        _, organisations = await desk.registry()
        lines = ["Organisations (key: name), to name in recipients: of a TLP:RED alert:"]
        lines += [f"- {o.key}: {o.name}" for o in organisations.values()]
        return Reply("\n".join(lines))

    @registry.command(
        "approve",
        needs=Role.MODERATOR,
        usage="approve A-12",
        help="publish a pending alert, or a widening of a published one (never your own)",
    )
    async def approve(context: Context, args: Arguments) -> Reply:
        alert_id = parse_ref(_ref(args))
        async with desk.uow(None) as unit:
            before = await unit.alerts.get(alert_id)
        widening = before is not None and before.proposed is not None
        alert, route = await use.approve_alert(
            desk.uow(context.event_id),
            alert_id,
            context.sender,
            desk.territories,
            desk.clock(),
        )
        existing = await desk.existing(route.rooms)
        count = len(existing) if existing is not None else len(route.rooms)
        if widening:
            return Reply(
                f"The widening of {alert.ref} is approved: its bulletins are edited and it "
                f"goes to {count} room(s)."
            )
        return Reply(f"{alert.ref} is approved and on its way to {count} room(s).")

    @registry.command(
        "reject",
        raw=True,
        needs=Role.MODERATOR,
        usage="reject A-12 reason",
        help="refuse a pending alert (or a widening); its author is told why",
    )
    async def reject(context: Context, args: Arguments) -> Reply:
        ref = _ref(args)
        reason = _after_ref(args)
        alert_id = parse_ref(ref)
        async with desk.uow(None) as unit:
            before = await unit.alerts.get(alert_id)
        widening = before is not None and before.proposed is not None
        alert = await use.reject_alert(
            desk.uow(context.event_id),
            alert_id,
            context.sender,
            reason,
            desk.clock(),
            desk.territories,
        )
        if widening:
            return Reply(
                f"The widening of {alert.ref} is refused; {alert.ref} stays as it was and "
                "its proposer is told why."
            )
        return Reply(f"{alert.ref} is rejected; its author is told why.")


def _privately(reply: Reply, context: Context, draft: str | None = None) -> Reply:
    """The reply for the asker's direct chat, with a pointer for the room it was asked in.

    The pointer says nothing of the answer (not even whether the alert exists); for a draft it
    reminds the author that the room saw what they typed.
    """
    if is_direct_chat(context):
        return reply
    pointer = "I answered you in our direct chat with the bot: not every reader here may see it."
    if draft is not None:
        pointer = (
            f"{draft} is in our direct chat with the bot: check and publish it there. "
            "Note: this room saw the text you typed."
        )
    return Reply(reply.text, reply.html, private=True, pointer=pointer)


def _listing(alerts: Sequence[Alert], territories: TerritoryRegistry) -> str:
    if not alerts:
        return "No alerts to show."
    lines = [f"{len(alerts)} alert(s):"]
    for a in alerts[-50:]:
        area = ", ".join(
            territories.municipalities[n].own_name for n in a.content.municipalities[:3]
        )
        lines.append(
            f"- {a.ref} {a.content.tlp.label} {a.content.type.value} in {area} "
            f"({a.status.value}, from {a.content.period_start:%d/%m})"
        )
    return "\n".join(lines)


def _with(alert: Alert, content: AlertContent) -> Alert:
    return Alert(alert.id, content, alert.author, alert.organisation, alert.status)


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
