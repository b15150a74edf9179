"""Reactions on the bot's messages: acknowledging a bulletin (👍/👎 also say whether it helped),
deciding on a pending alert."""

from __future__ import annotations

from bots.alert_desk import AlertDesk
from bots.moderation_delivery import APPROVE_KEYS, REJECT_KEYS
from bots.useful_commands import cast
from phenomena.errors import DomainError
from phenomena.partners import Member, Role
from phenomena.services import alerts as use
from phenomena.usefulness import REACTION, reaction_vote


async def on_reaction(
    desk: AlertDesk,
    member: Member | None,
    event_id: str,
    reacts_to: str,
    key: str,
    room_id: str | None = None,
) -> str | None:
    """A reaction: acknowledges a bulletin, or (✅ by a moderator) approves a pending alert.

    👍 and 👎 on a bulletin are also a usefulness vote, for members whose organisation
    received it. A reaction made in another room than the bulletin's (``room_id``, when the bot
    knows it) counts for nothing. Four eyes hold here as in ``!approve``: a reaction by the
    alert's author decides nothing. A reaction on anything else is held by the ledger (a 👍/👎
    with its vote), in case it is a bulletin not recorded yet. Returns what happened, for logs
    and tests.
    """
    if member is None or not member.is_active:
        return None
    bulletin = await desk.ledger.find_bulletin(reacts_to)
    if bulletin is not None:
        if room_id is not None and room_id != bulletin.room_id:
            return "refused: not in the bulletin's room"
        new = await desk.ledger.acknowledge(
            bulletin.alert_id, member.matrix_id, member.organisation, bulletin.room
        )
        return await _vote(
            desk, member, bulletin.alert_id, key, "acknowledged" if new else "already acknowledged"
        )
    alert_id = await desk.ledger.find_moderation_notice(reacts_to)
    if alert_id is None:
        useful = reaction_vote(key)
        vote = (useful, room_id) if useful is not None and room_id and desk.usefulness else None
        held = await desk.ledger.hold_reaction(
            event_id, reacts_to, member.matrix_id, member.organisation, vote
        )
        if not held:
            return "pending"
        bulletin = await desk.ledger.find_bulletin(reacts_to)  # recorded meanwhile
        return await _vote(
            desk, member, bulletin.alert_id if bulletin else None, key, "acknowledged"
        )
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


async def _vote(
    desk: AlertDesk, member: Member, alert_id: int | None, key: str, outcome: str
) -> str:
    """Count 👍/👎 as ``member``'s usefulness vote on the alert; ``outcome`` says the rest."""
    useful = reaction_vote(key)
    if useful is None or desk.usefulness is None or alert_id is None:
        return outcome
    async with desk.uow(None) as unit:
        alert = await unit.alerts.get(alert_id)
    if alert is None:
        return outcome
    try:
        await cast(desk, desk.usefulness, member, alert, useful, REACTION)
    except DomainError as exc:
        return f"{outcome}; vote refused: {exc}"
    return f"{outcome}; voted {'yes' if useful else 'no'}"
