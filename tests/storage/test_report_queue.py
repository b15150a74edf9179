"""The monthly report is queued once per period, for the bots only, on its day or in the week
after it (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from phenomena.report import AttentionReportDue
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.schema import OutboxRow
from prevnet.report_post import queue_monthly_report

BRUSSELS = "Europe/Brussels"
MORNING = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)  # 07:30 in Brussels


async def queued(db: Database) -> list[tuple[str, str]]:
    async with db.sessions() as session:
        rows = await session.execute(select(OutboxRow.consumer, OutboxRow.event_type))
        return [(consumer, kind) for consumer, kind in rows]


async def test_queued_once_per_period_whoever_asks(db: Database) -> None:
    first = await queue_monthly_report(db, MORNING, BRUSSELS, 1)
    assert first == AttentionReportDue(
        start="2026-10-31T23:00:00+00:00", end="2026-11-30T23:00:00+00:00"
    )
    # a second instance, a restart, the next mornings: nothing more
    assert await queue_monthly_report(db, MORNING, BRUSSELS, 1) is None
    assert await queue_monthly_report(db, MORNING + timedelta(days=1), BRUSSELS, 1) is None
    assert await queued(db) == [("bots", "AttentionReportDue")]
    (message,) = await Outbox(db, "w").claim()
    assert message.event == first
    assert message.event.period == (
        datetime(2026, 10, 31, 23, 0, tzinfo=UTC),
        datetime(2026, 11, 30, 23, 0, tzinfo=UTC),
    )


async def test_a_late_morning_catches_up_within_a_week_only(db: Database) -> None:
    # the network was down on the 1st: the 4th still posts November's report
    late = await queue_monthly_report(db, MORNING + timedelta(days=3), BRUSSELS, 1)
    assert late is not None and late.end == "2026-11-30T23:00:00+00:00"
    # eight days after the 15th: too late, `prevnet report` is there for it
    too_late = datetime(2026, 12, 23, 6, 30, tzinfo=UTC)
    assert await queue_monthly_report(db, too_late, BRUSSELS, 15) is None
    # a network first started on 20 January posts nothing for December
    assert (
        await queue_monthly_report(db, datetime(2027, 1, 20, 6, 30, tzinfo=UTC), BRUSSELS, 1)
        is None
    )
    assert await queued(db) == [("bots", "AttentionReportDue")]
