"""outbox rows set aside as dead letters after a bounded number of attempts

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), server_default="pending", nullable=False)
        )
        batch_op.add_column(sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE outbox SET state = 'delivered' WHERE delivered_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("dead_at")
        batch_op.drop_column("state")
