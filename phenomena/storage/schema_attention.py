"""Tables for attention: duty rota, escalation timers, notification preferences, usefulness.

They hang off the shared ``Base``; ``schema`` imports this module, so Alembic sees one metadata.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from phenomena.storage.base import Base


class DutyPeriodRow(Base):
    """A member on duty for a police zone or a province from ``starts_at`` to ``ends_at``."""

    __tablename__ = "duty_periods"
    __table_args__ = (Index("ix_duty_periods_area_starts_at", "scope", "area", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # zone | province
    area: Mapped[str] = mapped_column(String(64))  # zone code (e.g. 5329) or province key
    member: Mapped[str] = mapped_column(String(255), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    set_by: Mapped[str] = mapped_column(String(255))
    set_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16))  # cli | import | take
    # when the handover note was posted in #moderation (None: not yet)
    handover_posted_at: Mapped[datetime | None] = mapped_column(default=None)


class EscalationRow(Base):
    """One step of an escalation: due at ``due_at``, then fired once, or stopped before."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("alert_id", "kind", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # ack | moderation
    level: Mapped[int] = mapped_column(Integer)  # 1, 2 ... in the order they fire
    due_at: Mapped[datetime] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(String(8), index=True)  # waiting | fired | stopped
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    # who was told, how (mention / e-mail), and what was held back (quiet hours)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class NotifyPreferenceRow(Base):
    """A member's notification choices; no row means the defaults (normal, no quiet hours)."""

    __tablename__ = "notify_preferences"

    member: Mapped[str] = mapped_column(String(255), primary_key=True)
    min_priority: Mapped[str] = mapped_column(String(8))  # urgent | normal | info
    quiet_start: Mapped[str | None] = mapped_column(String(5), default=None)  # "22:00"
    quiet_end: Mapped[str | None] = mapped_column(String(5), default=None)  # "07:00"
    language: Mapped[str | None] = mapped_column(String(2), default=None)  # fr | nl | de | en
    changed_at: Mapped[datetime]


class UsefulnessVoteRow(Base):
    """Whether a member found a bulletin useful; their latest word counts."""

    __tablename__ = "usefulness_votes"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    member: Mapped[str] = mapped_column(String(255), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(64), index=True)
    useful: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(8))  # command | reaction
    at: Mapped[datetime] = mapped_column(index=True)


class PendingVoteRow(Base):
    """A 👍/👎 on an event that is not (yet) a recorded bulletin: a vote once the bulletin's
    record is written in the room it was made in, dropped with the pending reactions."""

    __tablename__ = "pending_votes"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)  # the reaction
    target: Mapped[str] = mapped_column(String(255), index=True)  # the event reacted to
    room_id: Mapped[str] = mapped_column(String(255))  # where the reaction was made
    member: Mapped[str] = mapped_column(String(255))
    organisation: Mapped[str] = mapped_column(String(64))
    useful: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(index=True)
