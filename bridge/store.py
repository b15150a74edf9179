"""What the bridge remembers: which topic, post, group and category stands for what.

These mappings make every sync idempotent: a handler that runs again (a retry, a second
bridge instance, a restart) finds what was already done and does not do it twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import delete, select

from phenomena.storage.database import Database
from phenomena.storage.schema import (
    ToolboxCategoryRow,
    ToolboxGroupRow,
    ToolboxMembershipRow,
    ToolboxPostRow,
    ToolboxTopicRow,
)
from phenomena.storage.unit_of_work import utc_now


@dataclass(frozen=True)
class TopicRecord:
    """The topic an alert became."""

    alert_id: int
    topic_id: int
    first_post_id: int
    category_id: int
    synced_version: int
    closed: bool


class BridgeStore:
    """SQL access to the bridge's mappings (both backends)."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = db
        self._clock = clock

    # -- topics -----------------------------------------------------------------------------

    async def topic(self, alert_id: int) -> TopicRecord | None:
        async with self._db.sessions() as session:
            row = await session.get(ToolboxTopicRow, alert_id)
            if row is None:
                return None
            return TopicRecord(
                row.alert_id,
                row.topic_id,
                row.first_post_id,
                row.category_id,
                row.synced_version,
                row.closed,
            )

    async def alert_of_topic(self, topic_id: int) -> int | None:
        async with self._db.sessions() as session:
            found = await session.scalar(
                select(ToolboxTopicRow.alert_id).where(ToolboxTopicRow.topic_id == topic_id)
            )
            return int(found) if found is not None else None

    async def save_topic(self, record: TopicRecord) -> None:
        async with self._db.sessions() as session, session.begin():
            row = await session.get(ToolboxTopicRow, record.alert_id)
            if row is None:
                session.add(ToolboxTopicRow(**asdict(record)))
            else:
                row.synced_version = record.synced_version
                row.closed = record.closed
                row.category_id = record.category_id

    # -- replies carried to Discourse -------------------------------------------------------

    async def outbound_reply(self, matrix_event_id: str, alert_id: int) -> tuple[bool, int | None]:
        """Note the intent to post a Matrix reply; returns (tried before, post id if done)."""
        async with self._db.sessions() as session, session.begin():
            row = await session.scalar(
                select(ToolboxPostRow).where(ToolboxPostRow.matrix_event_id == matrix_event_id)
            )
            if row is not None:
                return True, row.post_id
            session.add(
                ToolboxPostRow(
                    alert_id=alert_id,
                    direction="outbound",
                    matrix_event_id=matrix_event_id,
                    post_id=None,
                    created_at=self._clock(),
                )
            )
            return False, None

    async def reply_posted(self, matrix_event_id: str, post_id: int) -> None:
        async with self._db.sessions() as session, session.begin():
            row = await session.scalar(
                select(ToolboxPostRow).where(ToolboxPostRow.matrix_event_id == matrix_event_id)
            )
            if row is not None:
                row.post_id = post_id

    # -- groups, memberships, categories ----------------------------------------------------

    async def group(self, organisation: str) -> tuple[str, int] | None:
        async with self._db.sessions() as session:
            row = await session.get(ToolboxGroupRow, organisation)
            return (row.group_name, row.group_id) if row is not None else None

    async def save_group(self, organisation: str, name: str, group_id: int) -> None:
        async with self._db.sessions() as session, session.begin():
            if await session.get(ToolboxGroupRow, organisation) is None:
                session.add(
                    ToolboxGroupRow(organisation=organisation, group_name=name, group_id=group_id)
                )

    async def membership(self, matrix_id: str) -> tuple[str, str] | None:
        """(Discourse username, group name) the bridge put this member in, if any."""
        async with self._db.sessions() as session:
            row = await session.get(ToolboxMembershipRow, matrix_id)
            return (row.username, row.group_name) if row is not None else None

    async def save_membership(self, matrix_id: str, username: str, group: str | None) -> None:
        async with self._db.sessions() as session, session.begin():
            await session.execute(
                delete(ToolboxMembershipRow).where(ToolboxMembershipRow.matrix_id == matrix_id)
            )
            if group is not None:
                session.add(
                    ToolboxMembershipRow(matrix_id=matrix_id, username=username, group_name=group)
                )

    async def members_in_groups(self) -> set[str]:
        """The Matrix IDs the bridge has put in a Discourse group."""
        async with self._db.sessions() as session:
            return set(await session.scalars(select(ToolboxMembershipRow.matrix_id)))

    async def category(self, key: str) -> tuple[int, list[str] | None] | None:
        async with self._db.sessions() as session:
            row = await session.get(ToolboxCategoryRow, key)
            if row is None:
                return None
            groups = row.groups.get("groups")
            return row.category_id, (list(groups) if groups is not None else None)

    async def save_category(self, key: str, category_id: int, groups: list[str] | None) -> None:
        async with self._db.sessions() as session, session.begin():
            row = await session.get(ToolboxCategoryRow, key)
            if row is None:
                session.add(
                    ToolboxCategoryRow(key=key, category_id=category_id, groups={"groups": groups})
                )
            else:
                row.category_id = category_id
                row.groups = {"groups": groups}
