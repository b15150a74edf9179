"""The weekly volume budget: a room takes at most so many normal bulletins an ISO week (local
time), so that members read a message now and then rather than a stream and stay.

Beyond it the author is asked to confirm or to fold the alert into the digest; urgent and info
alerts, and moderators, are never held. This module is pure: the counts come from storage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from phenomena.priority import Priority

CONFIRM_WORDS = frozenset({"confirm", "confirmer", "bevestigen", "bestatigen", "bestaetigen"})
"""What follows ``!alert publish A-12`` to post a normal bulletin beyond a room's budget."""


@dataclass(frozen=True)
class RoomVolume:
    """The bulletins a room got in a period, by the priority of their alert."""

    normal: int = 0
    urgent: int = 0


def budget_week(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The ISO week (Monday 00:00 to the next Monday 00:00, local time) that ``now`` is in."""
    zone = ZoneInfo(timezone)
    monday = now.astimezone(zone).date()
    monday -= timedelta(days=monday.weekday())
    start = datetime.combine(monday, time(), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), time(), tzinfo=zone)  # 167 h across DST
    return start, end


def full_rooms(
    priority: Priority,
    rooms: Sequence[str],
    volumes: Mapping[str, RoomVolume],
    budget: int,
    *,
    by_moderator: bool = False,
) -> tuple[str, ...]:
    """The routed rooms whose normal bulletins this alert would take beyond ``budget``.

    Empty (nothing held) for urgent and info alerts and for a moderator publishing.
    """
    if priority is not Priority.NORMAL or by_moderator:
        return ()
    return tuple(room for room in rooms if volumes.get(room, RoomVolume()).normal >= budget)


def budget_prompt(
    ref: str, full: Sequence[str], volumes: Mapping[str, RoomVolume], budget: int
) -> str:
    """What the author is asked when ``full`` rooms have had their week's normal bulletins."""
    counts = ", ".join(f"{room} ({volumes.get(room, RoomVolume()).normal})" for room in full)
    return (
        f"{ref} is not published yet: this week (Monday to Sunday) {counts} already had "
        f"{budget} normal bulletin(s) or more, the weekly budget, and members stop reading a "
        f"stream. Post it anyway: !alert publish {ref} confirm. Or fold it into the weekly "
        f"digest, published without a bulletin: !alert fold {ref}. (Urgent alerts are never "
        "held.)"
    )


def update_prompt(
    ref: str, full: Sequence[str], volumes: Mapping[str, RoomVolume], budget: int
) -> str:
    """What the author is asked when making a published info alert normal would post bulletins
    beyond the week's budget (the same budget, not a way around it)."""
    counts = ", ".join(f"{room} ({volumes.get(room, RoomVolume()).normal})" for room in full)
    return (
        f"{ref} is not changed: made normal it posts bulletins, and this week (Monday to "
        f"Sunday) {counts} already had {budget} normal bulletin(s) or more, the weekly budget. "
        f"Change it anyway: !alert update {ref} confirm priority: normal (and your other "
        "changes). Or keep it info: it stays in the weekly digest. (Urgent alerts are never "
        "held.)"
    )


def budget_note(
    ref: str, full: Sequence[str], volumes: Mapping[str, RoomVolume], budget: int
) -> str:
    """The line of a draft's preview when publishing it will ask the author first."""
    counts = ", ".join(f"{room} ({volumes.get(room, RoomVolume()).normal})" for room in full)
    return (
        f"This week {counts} already had {budget} normal bulletin(s), the weekly budget: "
        f"!alert publish {ref} will ask you to confirm, or to fold it into the weekly digest "
        f"(!alert fold {ref}: published without a bulletin)."
    )
