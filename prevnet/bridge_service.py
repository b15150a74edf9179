"""``prevnet bridge``: the toolbox bridge as its own service.

It reads its own copy of the outbox (consumer ``bridge``), so it can run, fail, lag and scale
apart from the bots; it registers its web hook with Discourse, receives deliveries, and serves
``/health`` (database, Discourse, outbox lag) and ``/metrics`` next to the receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable, Sequence

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bridge.api import ToolboxApi, ToolboxError, Unavailable
from bridge.client import Toolbox
from bridge.limiter import RateLimiter
from bridge.members import MemberSync
from bridge.store import BridgeStore
from bridge.sync import TopicSync
from bridge.webhook import WEBHOOK_PATH, WebhookReceiver
from phenomena.alert import Alert, AlertStatus
from phenomena.events import (
    AlertClosed,
    AlertExpired,
    AlertPublished,
    AlertUpdated,
    EmailReplied,
    Event,
    MemberAdded,
    MemberChanged,
    MemberReinstated,
    MemberRemoved,
    MemberSuspended,
    OrganisationAdded,
    ThreadReplied,
)
from phenomena.partners import Member, MemberStatus, Organisation
from phenomena.services.detection import DETECTION_AUTHOR
from phenomena.storage.database import Database
from phenomena.storage.locks import exclusive
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork, utc_now
from prevnet.dispatch import Dispatcher, Subscription
from prevnet.observability import Metrics, observability_routes
from prevnet.reference import load_territories
from prevnet.settings import DiscourseSettings, Settings, SettingsError

log = logging.getLogger(__name__)

TOPIC_EVENTS = 1  # Discourse's web hook event type ids: topic and post events
POST_EVENTS = 2


async def catch_up_events(db: Database) -> list[Event]:
    """What a bridge starting on an existing network must sync: every organisation's group,
    every member's group membership, every open alert's topic (the handlers skip what is
    already there and what may not leave Matrix)."""
    async with SqlUnitOfWork(db.sessions) as unit:
        organisations = list(await unit.organisations.list())
        members = list(await unit.members.list())
        alerts = list(await unit.alerts.list(statuses=[AlertStatus.PUBLISHED, AlertStatus.UPDATED]))
    events: list[Event] = [OrganisationAdded(key=o.key) for o in organisations]
    events += [MemberChanged(matrix_id=m.matrix_id, fields=("toolbox",)) for m in members]
    events += [
        AlertPublished(alert_id=a.id, tlp=a.content.tlp.value, rooms=a.rooms) for a in alerts
    ]
    return events


async def members_without_group(db: Database, store: BridgeStore) -> list[Event]:
    """Active members the bridge could not put in their group yet (no toolbox account then).

    Run periodically: a partner who logs in to the toolbox for the first time after joining
    prevnet is added to their organisation's group at the next round.
    """
    async with SqlUnitOfWork(db.sessions) as unit:
        members = list(await unit.members.list(statuses=[MemberStatus.ACTIVE]))
    placed = await store.members_in_groups()
    return [
        MemberChanged(matrix_id=m.matrix_id, fields=("toolbox",))
        for m in members
        if m.matrix_id not in placed
    ]


async def join_outbox(outbox: Outbox, db: Database) -> int:
    """Register the bridge as an outbox consumer; the first time, queue the catch-up."""
    if not await outbox.register():
        return 0
    queued = await outbox.enqueue(await catch_up_events(db))
    log.info(
        "the bridge now receives every event committed from here on; %d queued to catch up "
        "with the partners and open alerts that came before it",
        queued,
    )
    return queued


def bridge_subscriptions(topics: TopicSync, members: MemberSync) -> list[Subscription]:
    """Which bridge handler reacts to which domain event."""

    async def on_alert(event: Event) -> None:
        if isinstance(event, AlertPublished):
            await topics.published(event.alert_id)
        elif isinstance(event, AlertUpdated | AlertClosed | AlertExpired):
            await topics.changed(event.alert_id)

    async def on_reply(event: Event) -> None:
        assert isinstance(event, ThreadReplied)
        await topics.thread_reply(event)

    async def on_member(event: Event) -> None:
        if isinstance(event, OrganisationAdded):
            await members.organisation(event.key)
        else:
            await members.member(str(getattr(event, "matrix_id", "")))

    return [
        Subscription(
            "discourse-topics",
            (AlertPublished, AlertUpdated, AlertClosed, AlertExpired),
            on_alert,
        ),
        Subscription("discourse-replies", (ThreadReplied, EmailReplied), on_reply),
        Subscription(
            "discourse-groups",
            (
                MemberAdded,
                MemberChanged,
                MemberSuspended,
                MemberReinstated,
                MemberRemoved,
                OrganisationAdded,
            ),
            on_member,
        ),
    ]


class ToolboxCategories:
    """The toolbox category and its sub-categories (id to name), looked up when needed.

    The listing is refreshed at most every ``refresh_seconds`` while deliveries come in, so a
    sub-category made later is recognised without a restart.
    """

    def __init__(self, toolbox: Toolbox, name: str, refresh_seconds: float = 300) -> None:
        self._toolbox = toolbox
        self._name = name
        self._refresh = refresh_seconds
        self._known: dict[int, str] = {}
        self._looked_at = 0.0

    async def ensure(self) -> None:
        """Find (or make) the toolbox category; remember it and its sub-categories."""
        listing = await self._toolbox.run(ToolboxApi.categories)
        top = [c for c in listing if c["name"] == self._name and not c.get("parent_category_id")]
        if top:
            root = int(top[0]["id"])
        else:
            root = await self._toolbox.run(
                ToolboxApi.create_category,
                self._name,
                color="3AB54A",
                parent=None,
                permissions={"everyone": 1},
            )
            listing = []
        self._known = {root: self._name}
        for c in listing:
            if c.get("parent_category_id") == root:
                self._known[int(c["id"])] = f"{self._name} › {c['name']}"
        self._looked_at = time.monotonic()

    async def names(self) -> dict[int, str]:
        if time.monotonic() - self._looked_at > self._refresh:
            try:
                await self.ensure()
            except ToolboxError as exc:  # keep what is known; Discourse may be busy
                log.warning("could not refresh the toolbox categories: %s", exc)
                self._looked_at = time.monotonic()
        return dict(self._known)


async def register_web_hook(toolbox: Toolbox, discourse: DiscourseSettings) -> None:
    """Make sure Discourse sends post and topic events to this bridge (once)."""
    if not discourse.webhook_url:
        log.warning("no webhook_url: the bridge registers no web hook (replies stay one-way)")
        return
    target = discourse.webhook_url.rstrip("/") + WEBHOOK_PATH
    hooks = await toolbox.run(ToolboxApi.web_hooks)
    if any(h.get("payload_url") == target for h in hooks):
        return
    await toolbox.run(
        ToolboxApi.create_web_hook,
        target,
        discourse.webhook_secret,
        [TOPIC_EVENTS, POST_EVENTS],
        [],  # every category: alert topics and toolbox material both matter
    )
    log.info("registered the web hook %s with Discourse", target)


async def run_bridge(settings: Settings, ready: Callable[[str], None], stop: asyncio.Event) -> None:
    """Run the bridge until ``stop`` is set."""
    discourse = settings.discourse
    if discourse is None:
        raise SettingsError(
            "the bridge needs a [discourse] table in the settings (url, api_key, "
            "webhook_secret): see config/prevnet.example.toml"
        )
    territories = load_territories(settings)
    db = Database.connect(settings.database)
    await db.upgrade()
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(db.close)
        metrics = Metrics()
        worker = f"bridge-{socket.gethostname()}-{discourse.listen_port}"
        outbox = Outbox(db, worker, consumer="bridge")
        await join_outbox(outbox, db)
        dispatcher = Dispatcher(
            outbox,
            [],
            on_failure=lambda name: metrics.delivery_failures.labels(name).inc(),
            retry_base=settings.retry_seconds,
        )

        def uow(once: str | None = None) -> SqlUnitOfWork:
            return SqlUnitOfWork(db.sessions, once=once, after_commit=dispatcher.wake)

        api = ToolboxApi(
            discourse.url.rstrip("/"),
            discourse.api_username,
            discourse.api_key,
            timeout=discourse.timeout_seconds,
        )
        toolbox = Toolbox(
            api,
            RateLimiter(discourse.requests_per_minute, discourse.window_seconds),
            on_request=lambda call: metrics.discourse_requests.labels(call).inc(),
        )
        store = BridgeStore(db)

        async def alert_of(alert_id: int) -> Alert | None:
            async with uow() as unit:
                return await unit.alerts.get(alert_id)

        async def organisations() -> Sequence[Organisation]:
            async with uow() as unit:
                return list(await unit.organisations.list())

        async def member_of(matrix_id: str) -> Member | None:
            async with uow() as unit:
                return await unit.members.get(matrix_id)

        async def source_of(alert: Alert) -> str:
            if alert.author == DETECTION_AUTHOR:
                return "prevnet detection (space-time scan of incident reports)"
            async with uow() as unit:
                org, who = await unit.alerts.source_names(alert)
            return f"{who or alert.author} ({org or alert.organisation})"

        topics = TopicSync(
            toolbox,
            store,
            territories,
            alert_of,
            organisations,
            source_of,
            external_prefix=discourse.external_prefix,
            alerts_category=discourse.alerts_category,
        )
        members = MemberSync(toolbox, store, member_of, organisations)
        for subscription in bridge_subscriptions(topics, members):
            dispatcher.subscribe(subscription)

        async def retry_members() -> None:
            async with exclusive(db, "toolbox-members") as mine:  # one instance a round
                queued = await outbox.enqueue(await members_without_group(db, store)) if mine else 0
            if queued:
                dispatcher.wake()
                log.info("membership sync: %d member(s) without a toolbox group retried", queued)

        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(
            retry_members,
            IntervalTrigger(hours=discourse.member_sync_hours),
            id="toolbox-members",
            max_instances=1,
            coalesce=True,
        )
        scheduler.start()
        stack.callback(scheduler.shutdown, wait=False)

        categories = ToolboxCategories(toolbox, discourse.toolbox_category)
        while not stop.is_set():  # Discourse may start after the bridge
            try:
                await categories.ensure()
                await register_web_hook(toolbox, discourse)
                break
            except Unavailable as exc:
                log.warning("Discourse is not reachable yet (%s); trying again in 5 s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 5)

        receiver = WebhookReceiver(
            discourse.webhook_secret,
            uow,
            store,
            api_username=discourse.api_username,
            base_url=discourse.url,
            toolbox_categories=categories.names,
        )
        app = web.Application()
        app.add_routes(receiver.routes())

        async def database_ok() -> bool:
            return await db.revision() is not None

        async def discourse_ok() -> bool:
            await toolbox.run(ToolboxApi.web_hooks)
            return True

        observability_routes(
            app, metrics, outbox.stats, database_ok, discourse_ok, utc_now, peer="discourse"
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, discourse.listen_host, discourse.listen_port)
        await site.start()
        stack.push_async_callback(runner.cleanup)
        bound = runner.addresses[0] if runner.addresses else (discourse.listen_host, 0)
        task = asyncio.create_task(dispatcher.run(stop), name="bridge-dispatcher")
        ready(f"http://{bound[0]}:{bound[1]}")
        await asyncio.wait(
            [asyncio.create_task(stop.wait()), task], return_when=asyncio.FIRST_COMPLETED
        )
        stop.set()
        dispatcher.wake()
        try:
            await asyncio.wait_for(task, 15)
        except TimeoutError:
            task.cancel()
