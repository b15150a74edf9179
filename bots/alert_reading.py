"""Reading alerts in chat: ``!alert show``, ``list``, ``reach`` and ``recipients``; an answer not
every member of the room may read goes to the asker's direct chat."""

from __future__ import annotations

from collections.abc import Sequence

from bots.alert_desk import AlertDesk, alert_ref, asking_member
from bots.alert_views import is_direct_chat, privately
from bots.commands import Arguments, CommandRegistry, Context, Reply
from bots.escalation_views import escalation_lines
from bots.i18n import Labels
from bots.rendering import render_alert
from bots.useful_commands import alert_usefulness_line, usefulness_by_type_reply
from phenomena.alert import Alert, AlertStatus
from phenomena.audience import Reader, may_read, room_may_show
from phenomena.errors import PermissionDenied
from phenomena.partners import Role
from phenomena.priority import Priority
from phenomena.reach import ReachState, alert_reach
from phenomena.rooms import room_languages
from phenomena.territory import TerritoryRegistry


def register_reading_commands(registry: CommandRegistry, desk: AlertDesk) -> None:
    """Add the commands that show alerts and their reach."""

    @registry.command(
        "alert show",
        usage="alert show A-12",
        help="show an alert",
    )
    async def show(context: Context, args: Arguments) -> Reply:
        member = asking_member(context)
        alert, organisations = await desk.visible(alert_ref(args), member)
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
        return privately(shown, context)

    @registry.command(
        "alert list",
        usage="alert list [open|mine|all] [zone=KEY]",
        help="list the alerts you may see (mine: your own, drafts included)",
    )
    async def list_(context: Context, args: Arguments) -> Reply:
        member = asking_member(context)
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
        return privately(Reply(_listing(direct, desk.territories)), context)

    @registry.command(
        "alert reach",
        needs=Role.AUTHOR,
        usage="alert reach [A-12]",
        help="per routed organisation: seen, delivered, or not yet, and usefulness votes; "
        "alone: usefulness per phenomenon type over 12 weeks",
    )
    async def reach(context: Context, args: Arguments) -> Reply:
        member = asking_member(context)
        if not args.positional:
            return await usefulness_by_type_reply(desk)
        alert, organisations = await desk.visible(alert_ref(args), member)
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
        lines += await alert_usefulness_line(desk, alert)
        if desk.escalations is not None:
            lines += escalation_lines(await desk.escalations.steps(alert.id))
        answer = Reply("\n".join(lines))
        readers = await desk.readers(context)
        if room_may_show(alert, context.room_key, readers, desk.territories):
            return answer
        return privately(answer, context)

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


def _listing(alerts: Sequence[Alert], territories: TerritoryRegistry) -> str:
    if not alerts:
        return "No alerts to show."
    lines = [f"{len(alerts)} alert(s):"]
    for a in alerts[-50:]:
        area = ", ".join(
            territories.municipalities[n].own_name for n in a.content.municipalities[:3]
        )
        priority = "" if a.content.priority is Priority.NORMAL else f" [{a.content.priority.value}]"
        lines.append(
            f"- {a.ref} {a.content.tlp.label} {a.content.type.value} in {area} "
            f"({a.status.value}, from {a.content.period_start:%d/%m}){priority}"
        )
    return "\n".join(lines)
