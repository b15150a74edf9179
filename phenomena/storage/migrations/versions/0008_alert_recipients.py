"""alert recipients (organisations named with to:) and per-alert RED rooms

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(
            sa.Column("named_recipients", sa.Text(), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("recipients", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("proposed", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("proposed")
        batch.drop_column("recipients")
        batch.drop_column("named_recipients")
