"""The monthly attention report: queued once a month, posted in ``#admin`` by the outbox.

The job runs every morning; on ``report_day`` (or, after an outage, on one of the days after it)
it queues the past month's report under a key of its own, so two instances or a restart queue
it once. Posting goes through the outbox, so a homeserver that is down delays it and loses
nothing. Only ``#admin`` (admins) gets it: organisation names and counts, no alert text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import nio

from bots.report_post import Post, post_report
from phenomena.events import Event
from phenomena.report import AttentionReportDue, month_period, report_text
from phenomena.rooms import ADMIN
from phenomena.storage.database import Database
from phenomena.storage.report_queries import load_report, queue_once
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Subscription
from prevnet.report_chart import report_chart

REPORT_TIME = "07:30"  # local time, every morning: the report day's, or a late one's, post
CATCH_UP = timedelta(days=7)  # after this a missed month is left to `prevnet report`


def report_key(end: datetime) -> str:
    """The once-key of the report of the period ending at ``end``."""
    return f"attention-report:{end.isoformat()}"


async def queue_monthly_report(
    db: Database, now: datetime, timezone: str, report_day: int
) -> AttentionReportDue | None:
    """Queue the report of the month that ended on the last ``report_day`` unless it was
    queued already or is more than a week late; returns what was queued."""
    local = now.astimezone(ZoneInfo(timezone))
    start, end = month_period(local, report_day)
    if now - end > CATCH_UP:
        return None
    due = AttentionReportDue(start=start.isoformat(), end=end.isoformat())
    return due if await queue_once(db, report_key(end), due, now) else None


def monthly_report_job(
    db: Database,
    timezone: str,
    report_day: int,
    clock: Callable[[], datetime],
    wake: Callable[[], None],
) -> Callable[[], Awaitable[None]]:
    """The scheduler's job: queue the report when due, and wake the dispatcher to post it."""

    async def job() -> None:
        if await queue_monthly_report(db, clock(), timezone, report_day) is not None:
            wake()

    return job


def report_subscription(
    db: Database,
    territories: TerritoryRegistry,
    timezone: str,
    client: nio.AsyncClient,
    post: Post,
    room_id_of: Callable[[str], Awaitable[str | None]],
) -> Subscription:
    """Post a queued report in ``#admin``: the text, then the chart (idempotent per period)."""
    zone = ZoneInfo(timezone)

    async def handle(event: Event) -> None:
        if not isinstance(event, AttentionReportDue):
            return
        room = await room_id_of(ADMIN)
        if room is None:
            raise ConnectionError("#admin does not exist yet; the report waits for it")
        start, end = event.period
        report = await load_report(db, territories, start, end)
        period = f"{start.astimezone(zone):%Y-%m-%d}"
        await post_report(
            client, post, room, report_text(report, zone), report_chart(report, zone).png, period
        )

    return Subscription("matrix-attention-report", (AttentionReportDue,), handle)
