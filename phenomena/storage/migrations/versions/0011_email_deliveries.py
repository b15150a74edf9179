"""members' e-mail choice (all|digest|none) and the e-mails sent, keyed by their Message-ID

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_preferences",
        sa.Column("member", sa.String(length=255), nullable=False),
        sa.Column("choice", sa.String(length=8), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("member", name=op.f("pk_email_preferences")),
    )
    op.create_index(op.f("ix_email_preferences_choice"), "email_preferences", ["choice"])
    op.create_table(
        "email_sends",
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("member", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_email_sends")),
    )
    op.create_index(op.f("ix_email_sends_alert_id"), "email_sends", ["alert_id"])
    op.create_index(op.f("ix_email_sends_state"), "email_sends", ["state"])


def downgrade() -> None:
    op.drop_table("email_sends")
    op.drop_table("email_preferences")
