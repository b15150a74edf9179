"""What the bridge remembers: which topic, post, group and category stands for what.

These mappings make every sync idempotent: a handler that runs again (a retry, a second
bridge instance, a restart) finds what was already done and does not do it twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from phenomena.storage.database import Database
from phenomena.storage.schema_toolbox import (
    ToolboxCategoryRow,
    ToolboxGroupRow,
    ToolboxMembershipRow,
    ToolboxPostRow,
    ToolboxTopicRow,
)
from phenomena.storage.unit_of_work import utc_now
from phenomena.storage.upserts import insert_for, upsert


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
            await upsert(
                session,
                ToolboxTopicRow,
                ["alert_id"],
                asdict(record),
                update=["synced_version", "closed", "category_id"],
            )

    # -- replies carried to Discourse -------------------------------------------------------

    async def outbound_reply(self, matrix_event_id: str, alert_id: int) -> tuple[bool, int | None]:
        """Note the intent to post a Matrix reply; returns (tried before, post id if done)."""
        async with self._db.sessions() as session, session.begin():
            row = ToolboxPostRow(
                alert_id=alert_id,
                direction="outbound",
                matrix_event_id=matrix_event_id,
                post_id=None,
                created_at=self._clock(),
            )
            if await _note_post(session, row, "matrix_event_id"):
                return False, None
            post_id = await session.scalar(
                select(ToolboxPostRow.post_id).where(
                    ToolboxPostRow.matrix_event_id == matrix_event_id
                )
            )
            return True, post_id

    async def reply_posted(self, matrix_event_id: str, post_id: int) -> None:
        async with self._db.sessions() as session, session.begin():
            await session.execute(
                update(ToolboxPostRow)
                .where(ToolboxPostRow.matrix_event_id == matrix_event_id)
                .values(post_id=post_id)
            )

    # -- groups, memberships, categories ----------------------------------------------------

    async def group(self, organisation: str) -> tuple[str, int] | None:
        async with self._db.sessions() as session:
            row = await session.get(ToolboxGroupRow, organisation)
            return (row.group_name, row.group_id) if row is not None else None

    async def save_group(self, organisation: str, name: str, group_id: int) -> None:
        async with self._db.sessions() as session, session.begin():
            values = {"organisation": organisation, "group_name": name, "group_id": group_id}
            await upsert(session, ToolboxGroupRow, ["organisation"], values, update=[])

    async def membership(self, matrix_id: str) -> tuple[str, str] | None:
        """(Discourse username, group name) the bridge put this member in, if any."""
        async with self._db.sessions() as session:
            row = await session.get(ToolboxMembershipRow, matrix_id)
            return (row.username, row.group_name) if row is not None else None

    async def save_membership(self, matrix_id: str, username: str, group: str | None) -> None:
        async with self._db.sessions() as session, session.begin():
            if group is None:
                await session.execute(
                    delete(ToolboxMembershipRow).where(ToolboxMembershipRow.matrix_id == matrix_id)
                )
                return
            values = {"matrix_id": matrix_id, "username": username, "group_name": group}
            await upsert(session, ToolboxMembershipRow, ["matrix_id"], values)

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
            values = {"key": key, "category_id": category_id, "groups": {"groups": groups}}
            await upsert(session, ToolboxCategoryRow, ["key"], values)


class InboundPosts:
    """The Discourse posts brought into Matrix, written in the caller's unit of work.

    The row commits with the event that carries the post, so the two happen together or not
    at all.
    """

    def __init__(self, session: AsyncSession, clock: Callable[[], datetime] = utc_now) -> None:
        self._session = session
        self._clock = clock

    async def add(self, alert_id: int, post_id: int) -> bool:
        """Note that ``post_id`` is carried into the alert's thread; False if it already was."""
        row = ToolboxPostRow(
            alert_id=alert_id,
            direction="inbound",
            matrix_event_id=None,
            post_id=post_id,
            created_at=self._clock(),
        )
        return await _note_post(self._session, row, "post_id")


async def _note_post(session: AsyncSession, row: ToolboxPostRow, key: str) -> bool:
    """Insert ``row`` unless a row with the same ``key`` column exists; whether it was new."""
    columns = ("alert_id", "direction", "matrix_event_id", "post_id", "created_at")
    noted = await session.scalar(
        insert_for(session, ToolboxPostRow)
        .values({name: getattr(row, name) for name in columns})
        .on_conflict_do_nothing(index_elements=[key])
        .returning(ToolboxPostRow.id)
    )
    return noted is not None
