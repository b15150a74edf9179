"""Reactions on the bot's messages: acknowledging a bulletin, deciding on a pending alert."""

from __future__ import annotations

from bots.alert_desk import AlertDesk
from bots.moderation_delivery import APPROVE_KEYS, REJECT_KEYS
from phenomena.errors import DomainError
from phenomena.partners import Member, Role
from phenomena.services import alerts as use


async def on_reaction(
    desk: AlertDesk, member: Member | None, event_id: str, reacts_to: str, key: str
) -> str | None:
    """A reaction: acknowledges a bulletin, or (✅ by a moderator) approves a pending alert.

    Four eyes hold here as in ``!approve``: a reaction by the alert's author decides nothing.
    A reaction on anything else is held by the ledger, in case it is a bulletin not recorded
    yet. Returns what happened, for logs and tests.
    """
    if member is None or not member.is_active:
        return None
    bulletin = await desk.ledger.find_bulletin(reacts_to)
    if bulletin is not None:
        new = await desk.ledger.acknowledge(
            bulletin.alert_id, member.matrix_id, member.organisation, bulletin.room
        )
        return "acknowledged" if new else "already acknowledged"
    alert_id = await desk.ledger.find_moderation_notice(reacts_to)
    if alert_id is None:
        held = await desk.ledger.hold_reaction(
            event_id, reacts_to, member.matrix_id, member.organisation
        )
        return "acknowledged" if held else "pending"
    if not member.has(Role.MODERATOR):
        return None
    try:
        if key in APPROVE_KEYS:
            await use.approve_alert(
                desk.uow(event_id), alert_id, member.matrix_id, desk.territories, desk.clock()
            )
            return "approved"
        if key in REJECT_KEYS:
            reason = f"rejected with a reaction by {member.display_name}; ask them why"
            await use.reject_alert(
                desk.uow(event_id),
                alert_id,
                member.matrix_id,
                reason,
                desk.clock(),
                desk.territories,
            )
            return "rejected"
    except DomainError as exc:  # the author's own alert (four eyes), one not theirs
        return f"refused: {exc}"
    return None
