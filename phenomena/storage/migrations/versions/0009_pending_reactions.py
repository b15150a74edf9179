"""reactions on events not (yet) recorded as bulletins, matched when the record is written

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_reactions",
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("member", sa.String(length=255), nullable=False),
        sa.Column("organisation", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_pending_reactions")),
    )
    op.create_index(op.f("ix_pending_reactions_target"), "pending_reactions", ["target"])
    op.create_index(op.f("ix_pending_reactions_at"), "pending_reactions", ["at"])


def downgrade() -> None:
    op.drop_table("pending_reactions")
