"""Tables for citizen capsules: each capsule (C-n), its parts per language, and its approval.

They hang off the shared ``Base``; ``schema`` imports this module, so Alembic sees one metadata.
A capsule's state moves draft -> published (or waiting, beyond the commune's weekly cap, then
published); an edit puts it back to draft, so nothing changed goes out unapproved. Coordinators
who unsubscribed are kept by address, so no later capsule mails them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from phenomena.storage.base import Base


class CapsuleRow(Base):
    """A capsule drafted from an alert for one commune: who wrote it, who approved it, when."""

    __tablename__ = "capsules"
    __table_args__ = (Index("ix_capsules_municipality_state", "municipality", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    municipality: Mapped[str] = mapped_column(String(5))  # the commune's NIS code
    organisation: Mapped[str] = mapped_column(String(64))  # the author's organisation
    author: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(12))  # draft | approved | waiting | published
    approver: Mapped[str | None] = mapped_column(String(255), default=None)
    week: Mapped[str | None] = mapped_column(String(8), default=None)  # "2026-W49" published in
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    parts: Mapped[list[CapsulePartRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CapsulePartRow.position"
    )


class CapsulePartRow(Base):
    """One language's text of a capsule, and what the content screen found in it."""

    __tablename__ = "capsule_parts"

    capsule_id: Mapped[int] = mapped_column(
        ForeignKey("capsules.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    commune: Mapped[str] = mapped_column(String(200))
    link: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(60))
    tip: Mapped[str] = mapped_column(String(200))
    short: Mapped[str] = mapped_column(String(280))
    long: Mapped[str] = mapped_column(Text)
    hashtags: Mapped[str] = mapped_column(String(120))
    findings: Mapped[list[Any]] = mapped_column(JSON)  # the screen's findings, as lines


class CapsuleOptOutRow(Base):
    """A BIN/PLP coordinator's address that asked for no more capsule mails (lower case)."""

    __tablename__ = "capsule_opt_outs"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    at: Mapped[datetime]
