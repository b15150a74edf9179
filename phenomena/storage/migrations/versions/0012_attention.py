"""alerts' priority; duty rota, escalation timers, notification preferences, usefulness votes
(and 👍/👎 waiting for their bulletin's record)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("alerts") as alerts:
        alerts.add_column(
            sa.Column("priority", sa.String(length=8), server_default="normal", nullable=False)
        )
    op.create_table(
        "duty_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("area", sa.String(length=64), nullable=False),
        sa.Column("member", sa.String(length=255), nullable=False),
        sa.Column("starts_at", _WHEN, nullable=False),
        sa.Column("ends_at", _WHEN, nullable=False),
        sa.Column("set_by", sa.String(length=255), nullable=False),
        sa.Column("set_at", _WHEN, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("handover_posted_at", _WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_periods")),
    )
    op.create_index(
        "ix_duty_periods_area_starts_at", "duty_periods", ["scope", "area", "starts_at"]
    )
    op.create_index(op.f("ix_duty_periods_member"), "duty_periods", ["member"])
    op.create_index(op.f("ix_duty_periods_ends_at"), "duty_periods", ["ends_at"])
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("due_at", _WHEN, nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("ended_at", _WHEN, nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_escalations_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
        sa.UniqueConstraint("alert_id", "kind", "level", name=op.f("uq_escalations_alert_id")),
    )
    op.create_index(op.f("ix_escalations_alert_id"), "escalations", ["alert_id"])
    op.create_index(op.f("ix_escalations_due_at"), "escalations", ["due_at"])
    op.create_index(op.f("ix_escalations_state"), "escalations", ["state"])
    op.create_table(
        "notify_preferences",
        sa.Column("member", sa.String(length=255), nullable=False),
        sa.Column("min_priority", sa.String(length=8), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("changed_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("member", name=op.f("pk_notify_preferences")),
    )
    op.create_table(
        "usefulness_votes",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("member", sa.String(length=255), nullable=False),
        sa.Column("organisation", sa.String(length=64), nullable=False),
        sa.Column("useful", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_usefulness_votes_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alert_id", "member", name=op.f("pk_usefulness_votes")),
    )
    op.create_index(op.f("ix_usefulness_votes_organisation"), "usefulness_votes", ["organisation"])
    op.create_index(op.f("ix_usefulness_votes_at"), "usefulness_votes", ["at"])
    op.create_table(
        "pending_votes",
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("member", sa.String(length=255), nullable=False),
        sa.Column("organisation", sa.String(length=64), nullable=False),
        sa.Column("useful", sa.Boolean(), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_pending_votes")),
    )
    op.create_index(op.f("ix_pending_votes_target"), "pending_votes", ["target"])
    op.create_index(op.f("ix_pending_votes_at"), "pending_votes", ["at"])


def downgrade() -> None:
    op.drop_table("pending_votes")
    op.drop_table("usefulness_votes")
    op.drop_table("notify_preferences")
    op.drop_table("escalations")
    op.drop_table("duty_periods")
    with op.batch_alter_table("alerts") as alerts:
        alerts.drop_column("priority")
