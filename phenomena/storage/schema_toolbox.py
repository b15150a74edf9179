"""Tables of the Discourse toolbox bridge: the topic each alert became, the replies carried
between Matrix and Discourse, and the groups, memberships and categories the bridge made.

They hang off the shared ``Base``; ``schema`` imports this module, so Alembic sees one metadata.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from phenomena.storage.base import Base


class ToolboxTopicRow(Base):
    """The Discourse topic an alert became, and the alert version it shows."""

    __tablename__ = "toolbox_topics"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(Integer, unique=True)
    first_post_id: Mapped[int] = mapped_column(Integer)
    category_id: Mapped[int] = mapped_column(Integer)
    synced_version: Mapped[int] = mapped_column(Integer)
    closed: Mapped[bool] = mapped_column(default=False)


class ToolboxPostRow(Base):
    """A reply carried between a bulletin's Matrix thread and its topic (either direction).

    The unique columns are what stops echoes and duplicates: a Matrix reply is posted once,
    a Discourse post is brought into Matrix once.
    """

    __tablename__ = "toolbox_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # "outbound" (to Discourse) or "inbound"
    matrix_event_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    post_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime]


class ToolboxGroupRow(Base):
    """The Discourse group of a partner organisation."""

    __tablename__ = "toolbox_groups"

    organisation: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(40), unique=True)
    group_id: Mapped[int] = mapped_column(Integer)


class ToolboxMembershipRow(Base):
    """Which Discourse group the bridge put a member in (to take them out again)."""

    __tablename__ = "toolbox_memberships"

    matrix_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    username: Mapped[str] = mapped_column(String(60))
    group_name: Mapped[str] = mapped_column(String(40))


class ToolboxCategoryRow(Base):
    """A Discourse category the bridge made, with the groups allowed in it (None: everyone)."""

    __tablename__ = "toolbox_categories"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer)
    groups: Mapped[dict[str, Any]]
