"""The bridge's mappings: repeated and concurrent writes of one key keep one row, the latest."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select

from bridge.store import BridgeStore, InboundPosts, TopicRecord
from phenomena.alert_text import parse_alert_text
from phenomena.storage.database import Database
from phenomena.storage.schema import Base
from phenomena.storage.schema_toolbox import ToolboxCategoryRow, ToolboxPostRow, ToolboxTopicRow
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from tests.unit.test_alert_text import EXAMPLE

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


async def an_alert(db: Database, territories: TerritoryRegistry) -> int:
    async with SqlUnitOfWork(db.sessions) as uow:
        alert = await uow.alerts.create(parse_alert_text(EXAMPLE, territories), "@a:x", "zp", NOW)
        await uow.commit()
    return alert.id


async def count(db: Database, row: type[Base]) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(row)) or 0)


async def test_a_category_saved_again_and_at_once_is_one_row_with_the_latest(
    db: Database,
) -> None:
    store = BridgeStore(db)
    await asyncio.gather(*(store.save_category("toolbox", n, [f"g{n}"]) for n in range(6)))
    assert await count(db, ToolboxCategoryRow) == 1
    await store.save_category("toolbox", 41, ["zp-mons"])
    await store.save_category("toolbox", 42, None)
    assert await store.category("toolbox") == (42, None)
    assert await count(db, ToolboxCategoryRow) == 1


async def test_a_topic_saved_again_keeps_its_ids_and_takes_the_new_state(
    db: Database, territories: TerritoryRegistry
) -> None:
    store = BridgeStore(db)
    alert_id = await an_alert(db, territories)
    first = TopicRecord(alert_id, 70, 71, 5, 1, False)
    await asyncio.gather(store.save_topic(first), store.save_topic(first))
    await store.save_topic(TopicRecord(alert_id, 99, 99, 6, 3, True))
    assert await store.topic(alert_id) == TopicRecord(alert_id, 70, 71, 6, 3, True)
    assert await count(db, ToolboxTopicRow) == 1


async def test_memberships_and_groups_keep_one_row_per_key(db: Database) -> None:
    store = BridgeStore(db)
    await asyncio.gather(*(store.save_membership("@m:x", "marie", f"g{n}") for n in range(4)))
    await store.save_membership("@m:x", "marie", "zp-mons")
    assert await store.membership("@m:x") == ("marie", "zp-mons")
    await store.save_membership("@m:x", "marie", None)
    assert await store.membership("@m:x") is None
    await asyncio.gather(store.save_group("zp", "zp-mons", 3), store.save_group("zp", "zp-mons", 3))
    await store.save_group("zp", "zp-mons", 3)
    assert await store.group("zp") == ("zp-mons", 3)


async def test_a_reply_is_noted_once_however_often_it_is_tried(
    db: Database, territories: TerritoryRegistry
) -> None:
    store = BridgeStore(db)
    alert_id = await an_alert(db, territories)
    tries = await asyncio.gather(*(store.outbound_reply("$e", alert_id) for _ in range(5)))
    assert sorted(tries) == [(False, None)] + [(True, None)] * 4
    await store.reply_posted("$e", 501)
    assert await store.outbound_reply("$e", alert_id) == (True, 501)
    async with db.sessions() as session, session.begin():
        assert await InboundPosts(session).add(alert_id, 600)
        assert not await InboundPosts(session).add(alert_id, 600)
    assert await count(db, ToolboxPostRow) == 2
