"""outbox consumers (bots, bridge) and the Discourse toolbox bridge's mappings

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    consumers = op.create_table(
        "outbox_consumers",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbox_consumers")),
    )
    op.bulk_insert(consumers, [{"name": "bots", "registered_at": datetime.now(UTC)}])
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consumer", sa.String(length=40), server_default="bots", nullable=False)
        )
        batch_op.drop_index("ix_outbox_pending")
        batch_op.create_index(
            "ix_outbox_pending", ["consumer", "delivered_at", "available_at"], unique=False
        )
    op.create_table(
        "toolbox_topics",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("first_post_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("synced_version", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_toolbox_topics_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_toolbox_topics")),
        sa.UniqueConstraint("topic_id", name=op.f("uq_toolbox_topics_topic_id")),
    )
    op.create_table(
        "toolbox_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("matrix_event_id", sa.String(length=255), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_toolbox_posts_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_toolbox_posts")),
        sa.UniqueConstraint("matrix_event_id", name=op.f("uq_toolbox_posts_matrix_event_id")),
        sa.UniqueConstraint("post_id", name=op.f("uq_toolbox_posts_post_id")),
    )
    with op.batch_alter_table("toolbox_posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_toolbox_posts_alert_id"), ["alert_id"], unique=False)
    op.create_table(
        "toolbox_groups",
        sa.Column("organisation", sa.String(length=64), nullable=False),
        sa.Column("group_name", sa.String(length=40), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("organisation", name=op.f("pk_toolbox_groups")),
        sa.UniqueConstraint("group_name", name=op.f("uq_toolbox_groups_group_name")),
    )
    op.create_table(
        "toolbox_memberships",
        sa.Column("matrix_id", sa.String(length=255), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("group_name", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("matrix_id", name=op.f("pk_toolbox_memberships")),
    )
    op.create_table(
        "toolbox_categories",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_toolbox_categories")),
    )


def downgrade() -> None:
    op.drop_table("toolbox_categories")
    op.drop_table("toolbox_memberships")
    op.drop_table("toolbox_groups")
    with op.batch_alter_table("toolbox_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_toolbox_posts_alert_id"))
    op.drop_table("toolbox_posts")
    op.drop_table("toolbox_topics")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")
        batch_op.create_index("ix_outbox_pending", ["delivered_at", "available_at"], unique=False)
        batch_op.drop_column("consumer")
    op.drop_table("outbox_consumers")
