"""The timed jobs of ``prevnet up`` and the scheduler that runs them.

Each job takes a database lock for its round, so when several instances share one database only
one of them runs it and the others skip that round.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bots.digest import post_room_digest
from phenomena.budget import RoomVolume
from phenomena.digest import room_digest
from phenomena.rooms import room_languages
from phenomena.services.alerts import expire_due_alerts
from phenomena.storage.bulletin_volume import SqlBulletinVolume
from phenomena.storage.locks import exclusive
from phenomena.storage.retention import purge_personal_data
from phenomena.storage.unit_of_work import utc_now
from phenomena.usefulness import WEEKS as USEFULNESS_WEEKS
from prevnet.detection import run_daily_detection
from prevnet.mail.digest_mail import DigestMailer
from prevnet.parts_bot import AdminRoom, BotParts
from prevnet.parts_core import ADMIN_LINES, Core
from prevnet.parts_delivery import TimedParts
from prevnet.report_post import REPORT_TIME, monthly_report_job
from prevnet.wiring import load_registry

log = logging.getLogger(__name__)


def at(hh_mm: str, timezone: str, day_of_week: str | None = None) -> CronTrigger:
    """A trigger at HH:MM local time, every day or on one day of the week."""
    hour, minute = hh_mm.split(":")
    return CronTrigger(
        day_of_week=day_of_week, hour=int(hour), minute=int(minute), timezone=timezone
    )


async def scheduled_reconcile(core: Core, admins: AdminRoom) -> None:
    """Repair drift; tell the admin room when anything changed or something is new."""
    members, organisations = await load_registry(core.uow)
    report = await core.network.reconcile(members, organisations)
    if admins.news_in(report) or report.changed_anything:
        log.info("%s", report.summary())
        await admins.post(report.summary(ADMIN_LINES))


async def daily_detection(core: Core) -> None:
    """Propose alerts for clusters found in the incident reports."""
    with core.metrics.detection_seconds.time():
        proposed = await run_daily_detection(
            core.incident_store, core.uow(), core.territories, utc_now()
        )
    if proposed:
        log.info("detection proposed %s", ", ".join(a.ref for a in proposed))


async def weekly_digests(core: Core, parts: BotParts, digest_mail: DigestMailer | None) -> None:
    """Post each zone's and province's digest of the week, then mail the digests."""
    async with core.uow() as unit:
        alerts = list(await unit.alerts.list())
    now = utc_now()
    today = now.date()
    volumes = await SqlBulletinVolume(core.db).volumes(now - timedelta(days=7), now)
    budget = core.settings.attention.budget_per_week
    tallies = await parts.usefulness.tallies_since(now - timedelta(weeks=USEFULNESS_WEEKS))
    for key in sorted(core.network.managed_keys()):
        if not key.startswith(("zone:", "province:")):
            continue
        volume = volumes.get(key, RoomVolume())
        digest = room_digest(key, alerts, today, volume=volume, budget=budget, tallies=tallies)
        room_id = await core.network.room_id(key)
        if digest.is_empty or room_id is None:
            continue
        await post_room_digest(
            core.client,
            parts.bot.post,
            room_id,
            digest,
            room_languages(key, core.territories),
            core.territories,
        )
    if digest_mail is not None:  # after the rooms: a relay that is down holds none back
        await digest_mail.send_week_retrying(today)


async def purge(core: Core) -> None:
    """Purge the personal data of alerts and incidents closed longer than the retention."""
    cutoff = utc_now() - timedelta(days=core.settings.retention_days)
    report = await purge_personal_data(core.db, cutoff)
    log.info("retention: %s", report)


async def expire_alerts(core: Core) -> None:
    """Expire alerts past their end and grace period."""
    grace = timedelta(days=core.settings.alert_grace_days)
    now = utc_now()
    await expire_due_alerts(core.uow(), now.date(), grace, now)  # its events are handed over


def start_scheduler(
    core: Core,
    parts: BotParts,
    admins: AdminRoom,
    timed: TimedParts,
    digest_mail: DigestMailer | None,
    stack: contextlib.AsyncExitStack,
) -> AsyncIOScheduler:
    """Schedule every job and start; the scheduler shuts down when the stack unwinds."""
    settings, db = core.settings, core.db
    scheduler = AsyncIOScheduler(timezone="UTC")

    def schedule(
        name: str, job: Callable[[], Awaitable[None]], trigger: Any, **options: Any
    ) -> None:
        """Add a job run by whichever instance takes its lock (the others skip the round)."""

        async def once() -> None:
            async with exclusive(db, name) as mine:
                if mine:
                    await job()

        scheduler.add_job(once, trigger, id=name, max_instances=1, coalesce=True, **options)

    soon = utc_now()
    schedule(
        "reconcile",
        functools.partial(scheduled_reconcile, core, admins),
        IntervalTrigger(minutes=settings.reconcile_minutes),
    )
    schedule(
        "expire",
        functools.partial(expire_alerts, core),
        IntervalTrigger(hours=1),
        next_run_time=soon + timedelta(seconds=5),
    )
    schedule(
        "digest",
        functools.partial(weekly_digests, core, parts, digest_mail),
        at(settings.digest_time, settings.timezone, settings.digest_day),
    )
    schedule(
        "retention",
        functools.partial(purge, core),
        IntervalTrigger(hours=24),
        next_run_time=soon + timedelta(minutes=1),
    )
    schedule(
        "detection",
        functools.partial(daily_detection, core),
        at(settings.detection_time, settings.timezone),
    )
    schedule(  # every morning: queued once, on report_day or the week after an outage
        "attention-report",
        monthly_report_job(
            db, settings.timezone, settings.attention.report_day, utc_now, core.dispatcher.wake
        ),
        at(REPORT_TIME, settings.timezone),
    )
    schedule(
        "escalation",
        timed.escalation.run,
        IntervalTrigger(seconds=settings.attention.check_seconds),
        next_run_time=soon + timedelta(seconds=1),
    )
    schedule(  # a note in #moderation as each duty period begins, once
        "duty-handover",
        parts.duty.look_for_handovers,
        IntervalTrigger(seconds=settings.attention.check_seconds),
        next_run_time=soon + timedelta(seconds=1),
    )
    schedule(  # approved capsules beyond the weekly cap go out when the week turns
        "capsules",
        timed.capsules.publish_due,
        IntervalTrigger(seconds=settings.capsules.check_seconds),
        next_run_time=soon + timedelta(seconds=1),
    )
    scheduler.start()
    stack.callback(scheduler.shutdown, wait=False)
    return scheduler
