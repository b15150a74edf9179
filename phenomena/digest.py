"""The weekly digest of a room: its open alerts, the new ones, and counts by type and week."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from phenomena.alert import Alert, AlertStatus
from phenomena.budget import RoomVolume
from phenomena.taxonomy import PhenomenonType
from phenomena.usefulness import Tally, by_type

PUBLISHED_STATES = (
    AlertStatus.PUBLISHED,
    AlertStatus.UPDATED,
    AlertStatus.CLOSED,
    AlertStatus.EXPIRED,
)


@dataclass(frozen=True)
class Digest:
    """What a room's weekly digest says."""

    room: str
    week_ending: date
    open: tuple[Alert, ...]
    new: tuple[Alert, ...]
    weeks: tuple[date, ...]
    counts: dict[PhenomenonType, tuple[int, ...]]
    volume: RoomVolume | None = None
    """The room's bulletins of the week by priority (None: not counted), and its budget."""
    budget: int | None = None
    usefulness: dict[PhenomenonType, Tally] = field(default_factory=dict)
    """Members' usefulness votes per type on the room's alerts of the last 12 weeks."""

    @property
    def is_empty(self) -> bool:
        """Nothing open, nothing new: no digest is posted."""
        return not self.open and not self.new


def week_start(day: date) -> date:
    """The Monday of a day's week."""
    return day - timedelta(days=day.weekday())


def room_digest(
    room: str,
    alerts: Iterable[Alert],
    today: date,
    weeks: int = 8,
    volume: RoomVolume | None = None,
    budget: int | None = None,
    tallies: Mapping[int, Tally] | None = None,
) -> Digest:
    """The digest of ``room`` on ``today``: alerts routed there, the last ``weeks`` weeks, and
    the week's bulletins by priority when ``volume`` is given (its ``budget`` of normal ones)."""
    mine = [a for a in alerts if room in a.rooms and a.status in PUBLISHED_STATES]
    since = today - timedelta(days=7)
    open_ = tuple(a for a in mine if a.status.is_open)
    new = tuple(a for a in mine if a.created_at is not None and a.created_at.date() > since)
    starts = tuple(week_start(today) - timedelta(weeks=n) for n in range(weeks - 1, -1, -1))
    counts: dict[PhenomenonType, list[int]] = {}
    for alert in mine:
        if alert.created_at is None:
            continue
        start = week_start(alert.created_at.date())
        if start in starts:
            counts.setdefault(alert.content.type, [0] * weeks)[starts.index(start)] += 1
    return Digest(
        room=room,
        week_ending=today,
        open=open_,
        new=new,
        weeks=starts,
        counts={k: tuple(v) for k, v in sorted(counts.items(), key=lambda kv: kv[0].value)},
        volume=volume,
        budget=budget,
        usefulness=by_type(mine, tallies or {}, today),
    )
