"""Moderating alerts in chat: ``!approve`` and ``!reject`` of a pending alert or a widening,
never by its own author or proposer."""

from __future__ import annotations

from bots.alert_desk import AlertDesk, after_ref, alert_ref
from bots.commands import Arguments, CommandRegistry, Context, Reply
from phenomena.alert import parse_ref
from phenomena.partners import Role
from phenomena.services import alerts as use


def register_moderation_commands(registry: CommandRegistry, desk: AlertDesk) -> None:
    """Add ``!approve`` and ``!reject``, for moderators."""

    @registry.command(
        "approve",
        needs=Role.MODERATOR,
        usage="approve A-12",
        help="publish a pending alert, or a widening of a published one (never your own)",
    )
    async def approve(context: Context, args: Arguments) -> Reply:
        alert_id = parse_ref(alert_ref(args))
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
        ref = alert_ref(args)
        reason = after_ref(args)
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
