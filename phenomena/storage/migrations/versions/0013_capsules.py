"""citizen capsules and their parts; organisations' prevention page and BIN/PLP coordinators;
coordinators who unsubscribed from capsule mails

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("organisations") as organisations:
        organisations.add_column(sa.Column("prevention_url", sa.String(length=200), nullable=True))
        organisations.add_column(
            sa.Column("coordinators", sa.Text(), server_default="", nullable=False)
        )
    op.create_table(
        "capsules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=5), nullable=False),
        sa.Column("organisation", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("approver", sa.String(length=255), nullable=True),
        sa.Column("week", sa.String(length=8), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("approved_at", _WHEN, nullable=True),
        sa.Column("published_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_capsules_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capsules")),
    )
    op.create_index(op.f("ix_capsules_alert_id"), "capsules", ["alert_id"])
    op.create_index("ix_capsules_municipality_state", "capsules", ["municipality", "state"])
    op.create_table(
        "capsule_parts",
        sa.Column("capsule_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("commune", sa.String(length=200), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("tip", sa.String(length=200), nullable=False),
        sa.Column("short", sa.String(length=280), nullable=False),
        sa.Column("long", sa.Text(), nullable=False),
        sa.Column("hashtags", sa.String(length=120), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capsule_id"],
            ["capsules.id"],
            name=op.f("fk_capsule_parts_capsule_id_capsules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("capsule_id", "language", name=op.f("pk_capsule_parts")),
    )
    op.create_table(
        "capsule_opt_outs",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_capsule_opt_outs")),
    )


def downgrade() -> None:
    op.drop_table("capsule_opt_outs")
    op.drop_table("capsule_parts")
    op.drop_index("ix_capsules_municipality_state", table_name="capsules")
    op.drop_index(op.f("ix_capsules_alert_id"), table_name="capsules")
    op.drop_table("capsules")
    with op.batch_alter_table("organisations") as organisations:
        organisations.drop_column("coordinators")
        organisations.drop_column("prevention_url")
