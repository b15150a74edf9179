"""``prevnet up``: the homeserver, the bot, the outbox dispatcher and the scheduler, together.

Start order: database, homeserver (embedded, or an existing one by URL), bot account, rooms and
memberships reconciled with the registry, then the long-running parts. ``prevnet ready: <url>``
is printed when a client can log in and find its rooms. SIGINT or SIGTERM stops everything in
reverse order; a second run on the same data directory resumes and re-creates nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bots.admin_commands import register_member_commands, register_reconcile_command
from bots.alert_commands import register_alert_commands
from bots.alert_desk import AlertDesk
from bots.bot import Bot, bot_client
from bots.capsule_commands import register_capsule_commands
from bots.commands import CommandRegistry, Reply
from bots.delivery import AlertDelivery
from bots.digest import image_content, post_room_digest
from bots.email_replies import EmailReplyNotices
from bots.network import MatrixNetwork, ReconcileReport
from bots.prefs_commands import register_prefs_commands
from bots.reactions import on_reaction
from bots.room_repair import stored_recipients
from bots.synapse_admin import MatrixSendError, Session, SynapseAdmin
from bots.toolbox import ToolboxNotices, record_thread_reply
from bots.useful_commands import register_useful_commands
from phenomena.alert import Alert
from phenomena.budget import RoomVolume
from phenomena.digest import room_digest
from phenomena.partners import Member
from phenomena.rooms import ADMIN, room_languages
from phenomena.services.alerts import expire_due_alerts
from phenomena.services.budget import WeeklyBudget
from phenomena.services.detection import DETECTION_AUTHOR
from phenomena.storage.bulletin_volume import SqlBulletinVolume
from phenomena.storage.bulletins import BulletinRecord, SqlBulletinLedger
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import STUCK_AFTER, SqlEmailDeliveries
from phenomena.storage.incidents import SqlApiTokens, SqlIncidentStore
from phenomena.storage.locks import exclusive
from phenomena.storage.notify_prefs import SqlNotifyPreferences
from phenomena.storage.outbox import Outbox, OutboxEntry
from phenomena.storage.retention import purge_personal_data
from phenomena.storage.room_directory import SqlRoomDirectory
from phenomena.storage.sync_tokens import SqlSyncTokens
from phenomena.storage.unit_of_work import SqlUnitOfWork, utc_now
from phenomena.storage.usefulness import SqlUsefulness
from phenomena.usefulness import WEEKS as USEFULNESS_WEEKS
from prevnet.bot_account import ensure_bot_session
from prevnet.bot_identity import cross_sign_bot
from prevnet.capsule_wiring import capsule_parts
from prevnet.demo import seed_demo_registry, write_demo_accounts
from prevnet.detection import detection_attachments, run_daily_detection
from prevnet.dispatch import Dispatcher, dead_letter_notice
from prevnet.duty_wiring import duty_service
from prevnet.escalation_wiring import escalation_parts
from prevnet.homeserver import Homeserver, HomeserverFiles, HomeserverOptions
from prevnet.incident_api import incident_app
from prevnet.late_joiner_wiring import late_joiners, open_bulletins
from prevnet.mail.bulletin_wiring import (
    add_bulletin_mail_routes,
    bulletin_mail_dispatcher,
    chat_links,
)
from prevnet.mail.digest_mail import digest_mailer
from prevnet.mail.invitation_service import invitation_service
from prevnet.mail.reply_wiring import ReplyRecorder, start_replies
from prevnet.observability import Metrics, observability_routes
from prevnet.page_guards import proxy_networks
from prevnet.reference import load_outlines, load_territories
from prevnet.report_post import REPORT_TIME, monthly_report_job, report_subscription
from prevnet.seams import bulletin_hold
from prevnet.settings import Settings, SettingsError
from prevnet.wiring import (
    bulletin_subscription,
    email_reply_subscription,
    load_registry,
    member_lookup,
    membership_subscription,
    metrics_subscription,
    toolbox_subscription,
)

log = logging.getLogger(__name__)

ADMIN_LINES = 100
"""A reconciliation report in #admin lists this many details at most (the rest are counted):
a homeserver's worth of foreign accounts would make an event too large to post."""


@dataclass(frozen=True)
class UpOptions:
    """What ``prevnet up`` was asked for on the command line."""

    demo: bool = False
    fast_hashing: bool = False  # cheap password hashing, for tests and demos on small machines


async def run_up(
    settings: Settings, options: UpOptions, ready: Callable[[str], None], stop: asyncio.Event
) -> None:
    """Run the network until ``stop`` is set."""
    data = settings.data_dir.resolve()
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    territories = load_territories(settings)
    db = Database.connect(settings.database)
    await db.upgrade()
    homeserver: Homeserver | None = None
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(db.close)
        if settings.embedded_homeserver:
            homeserver = Homeserver(
                HomeserverFiles(data / "homeserver"),
                HomeserverOptions(
                    server_name=settings.server_name,
                    port=settings.homeserver_port,
                    bcrypt_rounds=4 if options.fast_hashing else 12,
                    demo_logins=options.demo,
                ),
            )
            await homeserver.start()
            stack.push_async_callback(homeserver.stop)
            url = homeserver.url
        else:
            assert settings.homeserver_url is not None
            url = settings.homeserver_url.rstrip("/")
        http = await stack.enter_async_context(aiohttp.ClientSession())
        admin = SynapseAdmin(http, url)
        if homeserver is not None:
            session = await ensure_bot_session(
                admin, data / "bot-credentials.json", homeserver.registration_shared_secret
            )
        else:
            if settings.homeserver_token is None:
                raise SettingsError("homeserver_token is required with homeserver_url")
            who = await admin.request(
                "GET", "/_matrix/client/v3/account/whoami", token=settings.homeserver_token
            )
            assert who is not None
            session = Session(who["user_id"], settings.homeserver_token, str(who.get("device_id")))
        admin.access_token = session.access_token
        await admin.exempt_from_rate_limits(session.user_id)

        store = data / "bot-store"
        store.mkdir(mode=0o700, exist_ok=True)
        client = bot_client(url, session, store)
        stack.push_async_callback(client.close)

        outbox = Outbox(db, f"up-{session.device_id}")
        metrics = Metrics()
        dispatcher = Dispatcher(
            outbox,
            [],
            on_failure=lambda name: metrics.delivery_failures.labels(name).inc(),
            retry_base=settings.retry_seconds,
            max_attempts=settings.outbox_max_attempts,
        )

        def uow() -> SqlUnitOfWork:
            return SqlUnitOfWork(db.sessions, handoff=dispatcher)

        def once_uow(key: str) -> SqlUnitOfWork:
            """A unit of work whose effects commit at most once under ``key``."""
            return SqlUnitOfWork(db.sessions, once=key, handoff=dispatcher)

        network = MatrixNetwork(
            client,
            admin,
            settings.server_name,
            territories,
            SqlRoomDirectory(db),
            alert_recipients=stored_recipients(uow),
        )
        if options.demo:
            await seed_demo_registry(uow(), territories, settings.server_name)

        async def reconcile() -> str:
            """Repair drift now and return the report (the ``!reconcile`` command)."""
            members, organisations = await load_registry(uow)
            return (await network.reconcile(members, organisations)).summary(ADMIN_LINES)

        known_unknown: set[str] = set()
        known_problems: set[str] = set()

        def news_in(report: ReconcileReport) -> bool:
            """Whether a report names a stranger or a problem #admin has not been told of."""
            strangers = set(report.unknown_accounts) - known_unknown
            problems = {p.line() for p in report.problems} - known_problems
            known_unknown.update(report.unknown_accounts)
            known_problems.update(p.line() for p in report.problems)
            return bool(strangers or problems)

        async def scheduled_reconcile() -> None:
            """Repair drift; tell the admin room when anything changed or something is new."""
            members, organisations = await load_registry(uow)
            report = await network.reconcile(members, organisations)
            if news_in(report) or report.changed_anything:
                log.info("%s", report.summary())
                await post_to_admins(report.summary(ADMIN_LINES))

        async def post_to_admins(text: str) -> None:
            """Tell #admin; a refused post is logged, never a reason to stop the network."""
            room = await network.room_id(ADMIN)
            if room is not None and bot.ready.is_set():
                try:
                    await bot.send(room, Reply(text))
                except MatrixSendError as exc:
                    log.error("could not tell #admin (%s): %s", exc, text[:200])

        ledger = SqlBulletinLedger(db)

        async def room_exists(key: str) -> bool:
            return await network.room_id(key) is not None

        desk = AlertDesk(
            uow=lambda once: SqlUnitOfWork(db.sessions, once=once, handoff=dispatcher),
            territories=territories,
            policy=settings.moderation,
            clock=utc_now,
            ledger=ledger,
            room_exists=room_exists,
            budget=WeeklyBudget(
                SqlBulletinVolume(db), settings.attention.budget_per_week, settings.timezone
            ),
        )
        commands = CommandRegistry()
        mail = invitation_service(settings, db, territories, settings.homeserver_url or url, admin)
        register_member_commands(
            commands,
            uow,
            utc_now,
            settings.server_name,
            session.user_id,
            send_link=mail.send_link if settings.email else None,
            never_logged_in=mail.never_logged_in,
        )
        register_reconcile_command(commands, reconcile)
        register_alert_commands(commands, desk)
        duty = duty_service(
            db, territories, member_lookup(uow), settings.timezone, utc_now, dispatcher
        )
        duty.register(commands)  # !duty, !duty take
        notify_prefs = SqlNotifyPreferences(db)
        register_prefs_commands(
            commands,
            SqlEmailDeliveries(db),
            email_enabled=settings.email is not None,
            notify=notify_prefs,
        )
        desk.usefulness = usefulness = SqlUsefulness(db)
        register_useful_commands(commands, desk, notify_prefs)

        async def reaction(
            member: Member | None, event_id: str, reacts_to: str, key: str, room_id: str
        ) -> object:
            return await on_reaction(desk, member, event_id, reacts_to, key, room_id)

        async def organisation_name(key: str) -> str:
            async with uow() as unit:
                found = await unit.organisations.get(key)
            return found.name if found is not None else key

        async def thread_reply(member: Member | None, event_id: str, root: str, text: str) -> str:
            return await record_thread_reply(
                ledger,
                once_uow,
                organisation_name,
                member,
                event_id,
                root,
                text,
            )

        bot = Bot(
            client,
            commands,
            member_lookup(uow),
            network.key_of_room,
            reaction,
            thread_reply,
            SqlSyncTokens(db, f"{session.user_id}/{session.device_id}"),
            direct_chats=network,
            direct_room=network.direct_room,
        )
        # late joiners and new devices get the room keys of open alerts' bulletins (issue 19)
        sharing = late_joiners(client, store, member_lookup(uow), open_bulletins(uow, ledger))
        stack.callback(sharing.history.close)

        async def alert_of(alert_id: int) -> Alert | None:
            async with uow() as unit:
                return await unit.alerts.get(alert_id)

        async def routed_rooms(alert_id: int) -> tuple[str, ...]:
            alert = await alert_of(alert_id)
            return alert.rooms if alert is not None else ()

        incident_store = SqlIncidentStore(db)
        outlines = functools.cache(lambda: load_outlines(settings))  # only maps need them

        async def attachments(alert: Alert) -> list[tuple[str, bytes]]:
            if alert.author != DETECTION_AUTHOR:
                return []
            return await detection_attachments(alert, uow(), incident_store, outlines())

        async def post_image(room_id: str, png: bytes, name: str, thread: str, tx: str) -> str:
            content = await image_content(client, room_id, png, name, thread_root=thread)
            return await bot.post(room_id, content, tx_id=tx)

        async def source_of(alert: Alert) -> str:
            if alert.author == DETECTION_AUTHOR:
                return "prevnet detection (space-time scan of incident reports)"
            return await desk.source(alert)

        def counted_record(
            alert_id: int, room: str, room_id: str, event_id: str, version: int
        ) -> BulletinRecord:
            metrics.bulletins_sent.inc()  # one record is made per bulletin sent
            return BulletinRecord(alert_id, room, room_id, event_id, version)

        delivery = AlertDelivery(
            post=sharing.recording(bot.post),
            room_id_of=network.room_id,
            alert_of=alert_of,
            source_of=source_of,
            ledger=ledger,
            record=counted_record,
            territories=territories,
            attachments=attachments,
            post_image=post_image,
            rooms=network,
            uow=uow,
            direct_room_of=network.direct_room,
            before_bulletin=bulletin_hold(os.environ, demo=options.demo),
        )

        async def announce_dead_letters(entries: Sequence[OutboxEntry]) -> None:
            """Tell #admin; outside the outbox, so the notice cannot become a poison event."""
            room = await network.room_id(ADMIN)
            if room is None or not bot.ready.is_set():
                raise ConnectionError("#admin is not reachable yet")  # tried again in a minute
            await bot.send(room, Reply(dead_letter_notice(entries)))

        dispatcher.on_dead_letter = announce_dead_letters
        # Bulletin e-mails: a consumer of their own, so a relay that is down holds back no
        # Matrix message; None (not registered, nothing sent) without [email].
        mail_dispatcher = await bulletin_mail_dispatcher(
            settings,
            db,
            territories,
            chat_links(ledger, network.room_id),
            source_of,
            worker=f"email-{session.device_id}",
            on_failure=lambda name: metrics.delivery_failures.labels(name).inc(),
        )
        if mail_dispatcher is not None:
            mail_dispatcher.on_dead_letter = announce_dead_letters

        async def daily_detection() -> None:
            with metrics.detection_seconds.time():
                proposed = await run_daily_detection(incident_store, uow(), territories, utc_now())
            if proposed:
                log.info("detection proposed %s", ", ".join(a.ref for a in proposed))

        digest_mail = digest_mailer(settings, db, territories)  # None without [email]

        async def weekly_digests() -> None:
            async with uow() as unit:
                alerts = list(await unit.alerts.list())
            now = utc_now()
            today = now.date()
            volumes = await SqlBulletinVolume(db).volumes(now - timedelta(days=7), now)
            budget = settings.attention.budget_per_week
            tallies = await usefulness.tallies_since(now - timedelta(weeks=USEFULNESS_WEEKS))
            for key in sorted(network.managed_keys()):
                if not key.startswith(("zone:", "province:")):
                    continue
                volume = volumes.get(key, RoomVolume())
                digest = room_digest(
                    key, alerts, today, volume=volume, budget=budget, tallies=tallies
                )
                room_id = await network.room_id(key)
                if digest.is_empty or room_id is None:
                    continue
                await post_room_digest(
                    client, bot.post, room_id, digest, room_languages(key, territories), territories
                )
            if digest_mail is not None:  # after the rooms: a relay that is down holds none back
                await digest_mail.send_week_retrying(today)

        async def purge() -> None:
            cutoff = utc_now() - timedelta(days=settings.retention_days)
            report = await purge_personal_data(db, cutoff)
            log.info("retention: %s", report)

        async def expire_alerts() -> None:
            grace = timedelta(days=settings.alert_grace_days)
            now = utc_now()
            await expire_due_alerts(uow(), now.date(), grace, now)  # its events are handed over

        members, organisations = await load_registry(uow)
        startup = await network.reconcile(members, organisations)
        if options.demo:
            await write_demo_accounts(
                admin, data / "demo-accounts.json", uow(), url, settings.server_name
            )

        dispatcher.subscribe(membership_subscription(network, uow))
        for invitations in mail.subscriptions():  # after membership: the account exists first
            dispatcher.subscribe(invitations)
        dispatcher.subscribe(bulletin_subscription(delivery))
        dispatcher.subscribe(metrics_subscription(metrics))
        dispatcher.subscribe(
            toolbox_subscription(ToolboxNotices(bot.post, network.room_id, ledger))
        )
        dispatcher.subscribe(
            email_reply_subscription(
                EmailReplyNotices(bot.post, ledger, territories, routed_rooms, network.room_id)
            )
        )
        dispatcher.subscribe(  # the monthly attention report, in #admin only
            report_subscription(
                db, territories, settings.timezone, client, bot.post, network.room_id
            )
        )
        dispatcher.subscribe(duty.subscription(bot.post, network.room_id))  # handover notes
        # timers in the database: a round every check_seconds, posts and mails via the outbox
        escalation = escalation_parts(
            settings,
            db,
            territories,
            uow,
            ledger,
            bot.post,
            network.room_id,
            alert_of,
            member_lookup(uow),
        )
        desk.escalations = escalation.store
        for subscription in escalation.subscriptions:
            dispatcher.subscribe(subscription)
        capsules = capsule_parts(  # !capsule, posted in zone rooms and mailed via the outbox
            settings,
            db,
            desk,
            utc_now,
            dispatcher.wake,
            client,
            bot.post,
            network.room_id,
            direct_room=network.direct_room,  # where !capsule letter puts the PDF
        )
        register_capsule_commands(commands, capsules.desk)
        for subscription in capsules.subscriptions:
            dispatcher.subscribe(subscription)

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
            "reconcile", scheduled_reconcile, IntervalTrigger(minutes=settings.reconcile_minutes)
        )
        schedule(
            "expire",
            expire_alerts,
            IntervalTrigger(hours=1),
            next_run_time=soon + timedelta(seconds=5),
        )
        schedule(
            "digest",
            weekly_digests,
            at(settings.digest_time, settings.timezone, settings.digest_day),
        )
        schedule(
            "retention", purge, IntervalTrigger(hours=24), next_run_time=soon + timedelta(minutes=1)
        )
        schedule("detection", daily_detection, at(settings.detection_time, settings.timezone))
        schedule(  # every morning: queued once, on report_day or the week after an outage
            "attention-report",
            monthly_report_job(
                db, settings.timezone, settings.attention.report_day, utc_now, dispatcher.wake
            ),
            at(REPORT_TIME, settings.timezone),
        )
        schedule(
            "escalation",
            escalation.run,
            IntervalTrigger(seconds=settings.attention.check_seconds),
            next_run_time=soon + timedelta(seconds=1),
        )
        schedule(  # a note in #moderation as each duty period begins, once
            "duty-handover",
            duty.look_for_handovers,
            IntervalTrigger(seconds=settings.attention.check_seconds),
            next_run_time=soon + timedelta(seconds=1),
        )
        schedule(  # approved capsules beyond the weekly cap go out when the week turns
            "capsules",
            capsules.publish_due,
            IntervalTrigger(seconds=settings.capsules.check_seconds),
            next_run_time=soon + timedelta(seconds=1),
        )
        scheduler.start()
        stack.callback(scheduler.shutdown, wait=False)

        # The bot syncs first: the dispatcher's messages need the rooms the sync brings.
        runners: list[asyncio.Task[None]] = [asyncio.create_task(bot.run(stop), name="bot")]
        ready_or_failed = asyncio.create_task(bot.ready.wait())
        try:
            await asyncio.wait([ready_or_failed, *runners], return_when=asyncio.FIRST_COMPLETED)
            if bot.ready.is_set():
                # cross-signed before the first bulletin; a failure is logged, never fatal
                await cross_sign_bot(client, store, data, post_to_admins)
                runners.append(asyncio.create_task(dispatcher.run(stop), name="dispatcher"))
                runners.append(asyncio.create_task(sharing.run(stop), name="late-joiners"))
                if mail_dispatcher is not None:
                    runners.append(asyncio.create_task(mail_dispatcher.run(stop), name="email"))
                replies = await start_replies(settings, data, ReplyRecorder(uow, once_uow))
                if replies is not None:
                    stack.callback(replies.close)
                if settings.email and not settings.api_port:
                    log.warning(
                        "api_port is 0: the set-password pages of invitations are not served"
                    )
                if settings.api_port:
                    service = incident_app(incident_store, SqlApiTokens(db), territories, outlines)
                    mail.pages.trust(proxy_networks(settings.trusted_proxies))
                    mail.add_routes(service)  # the set-password pages share its port
                    add_bulletin_mail_routes(service, settings, db, territories, ledger)
                    capsules.add_routes(service, territories, settings.pages_url)  # public feeds

                    async def unknown_mails() -> list[str]:
                        sends = await SqlEmailDeliveries(db).unfinished(utc_now() - STUCK_AFTER)
                        return [send.message_id for send in sends]

                    async def database_ok() -> bool:
                        return await db.revision() is not None

                    async def homeserver_ok() -> bool:
                        return await admin.request("GET", "/_matrix/client/versions") is not None

                    observability_routes(
                        service,
                        metrics,
                        outbox.stats,
                        database_ok,
                        homeserver_ok,
                        utc_now,
                        problems=lambda: [p.line()[2:] for p in network.problems],
                        unknown_mails=unknown_mails if settings.email is not None else None,
                    )
                    api = web.AppRunner(service)
                    await api.setup()
                    await web.TCPSite(api, settings.api_host, settings.api_port).start()
                    stack.push_async_callback(api.cleanup)
                if news_in(startup) or startup.removed:
                    await post_to_admins(startup.summary(ADMIN_LINES))
                ready(url)
                await asyncio.wait(
                    [asyncio.create_task(stop.wait()), *runners],
                    return_when=asyncio.FIRST_COMPLETED,
                )
        finally:  # whatever ended the start or the run, nothing is left running behind it
            ready_or_failed.cancel()
            stop.set()
            dispatcher.wake()
            failures: list[BaseException] = []
            for runner in runners:
                try:
                    await asyncio.wait_for(runner, 15)
                except TimeoutError:
                    runner.cancel()
                except Exception as exc:
                    failures.append(exc)
        if failures:
            raise failures[0]


def at(hh_mm: str, timezone: str, day_of_week: str | None = None) -> CronTrigger:
    """A trigger at HH:MM local time, every day or on one day of the week."""
    hour, minute = hh_mm.split(":")
    return CronTrigger(
        day_of_week=day_of_week, hour=int(hour), minute=int(minute), timezone=timezone
    )


def install_signal_handlers(stop: asyncio.Event) -> None:
    """Ctrl-C and SIGTERM ask for a clean stop."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
