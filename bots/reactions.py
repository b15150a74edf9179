"""Reactions on the bot's messages: acknowledging a bulletin, deciding on a pending alert."""

from __future__ import annotations

import asyncio

from bots.alert_commands import AlertDesk
from bots.delivery import APPROVE_KEYS, REJECT_KEYS
from phenomena.errors import DomainError
from phenomena.partners import Member, Role
from phenomena.services import alerts as use

REACTION_RETRY_SECONDS = (0.25, 0.5, 1.0, 2.0, 4.0)
"""A reaction can arrive before the bot has recorded the bulletin it answers (people react
within a second); unknown targets are looked up again after these pauses."""


async def on_reaction(
    desk: AlertDesk, member: Member | None, event_id: str, reacts_to: str, key: str
) -> str | None:
    """A reaction: acknowledges a bulletin, or (✅ by a moderator) approves a pending alert.

    Four eyes hold here as in ``!approve``: a reaction by the alert's author decides nothing.

    Returns what happened, for logs and tests.
    """
    if member is None or not member.is_active:
        return None
    for pause in (0.0, *REACTION_RETRY_SECONDS):
        await asyncio.sleep(pause)
        bulletin = await desk.ledger.find_bulletin(reacts_to)
        if bulletin is not None:
            new = await desk.ledger.acknowledge(
                bulletin.alert_id, member.matrix_id, member.organisation, bulletin.room
            )
            return "acknowledged" if new else "already acknowledged"
        alert_id = await desk.ledger.find_moderation_notice(reacts_to)
        if alert_id is not None:
            if not member.has(Role.MODERATOR):
                return None
            try:
                if key in APPROVE_KEYS:
                    await use.approve_alert(
                        desk.uow(event_id),
                        alert_id,
                        member.matrix_id,
                        desk.territories,
                        desk.clock(),
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
    return None
