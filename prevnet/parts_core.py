"""The foundation of ``prevnet up``: the database, the homeserver, the bot's session and outbox.

Every other part of the process is built from the one ``Core`` made here, so each factory takes
the collaborators it needs by name instead of closing over a long function's locals.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import nio

from bots.bot import bot_client
from bots.maps import Outlines
from bots.network import MatrixNetwork
from bots.room_repair import stored_recipients
from bots.synapse_admin import Session, SynapseAdmin
from phenomena.storage.bulletins import SqlBulletinLedger
from phenomena.storage.database import Database
from phenomena.storage.incidents import SqlIncidentStore
from phenomena.storage.outbox import Outbox
from phenomena.storage.room_directory import SqlRoomDirectory
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.bot_account import ensure_bot_session
from prevnet.demo import seed_demo_registry
from prevnet.dispatch import Dispatcher
from prevnet.homeserver import Homeserver, HomeserverFiles, HomeserverOptions
from prevnet.observability import Metrics
from prevnet.reference import load_outlines, load_territories
from prevnet.settings import Settings

ADMIN_LINES = 100
"""A reconciliation report in #admin lists this many details at most (the rest are counted):
a homeserver's worth of foreign accounts would make an event too large to post."""


@dataclass(frozen=True)
class UpOptions:
    """What ``prevnet up`` was asked for on the command line."""

    demo: bool = False
    fast_hashing: bool = False  # cheap password hashing, for tests and demos on small machines


@dataclass(frozen=True)
class Core:
    """The collaborators every part of ``prevnet up`` shares."""

    settings: Settings
    options: UpOptions
    data: Path  # the data directory, resolved
    territories: TerritoryRegistry
    db: Database
    url: str  # the homeserver's client URL
    admin: SynapseAdmin  # acting as the bot, exempt from rate limits
    session: Session
    store: Path  # the bot's key store
    client: nio.AsyncClient
    outbox: Outbox
    metrics: Metrics
    dispatcher: Dispatcher
    network: MatrixNetwork
    ledger: SqlBulletinLedger
    incident_store: SqlIncidentStore
    outlines: Callable[[], Outlines]  # loaded once, when a map first needs them
    uow: Callable[[], SqlUnitOfWork]
    once_uow: Callable[[str], SqlUnitOfWork]  # effects committed at most once under the key

    def count_failure(self, name: str) -> None:
        """Count a failed delivery of the subscription ``name``."""
        self.metrics.delivery_failures.labels(name).inc()


async def open_database(settings: Settings, stack: contextlib.AsyncExitStack) -> Database:
    """The database, migrated to the current schema; closed when the stack unwinds."""
    db = Database.connect(settings.database)
    await db.upgrade()
    stack.push_async_callback(db.close)
    return db


async def start_homeserver(
    settings: Settings, options: UpOptions, data: Path, stack: contextlib.AsyncExitStack
) -> Homeserver | None:
    """The embedded homeserver, started and stopped with the stack; None with an existing one."""
    if not settings.embedded_homeserver:
        return None
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
    return homeserver


async def bot_session(
    settings: Settings, admin: SynapseAdmin, data: Path, homeserver: Homeserver | None
) -> Session:
    """The bot's session: registered on the embedded homeserver, or the configured token's."""
    if homeserver is not None:
        return await ensure_bot_session(
            admin, data / "bot-credentials.json", homeserver.registration_shared_secret
        )
    _, token = settings.existing_homeserver()
    who = await admin.request("GET", "/_matrix/client/v3/account/whoami", token=token)
    if who is None:
        raise ConnectionError(f"{admin.base_url} gave no answer to whoami: is it a homeserver?")
    return Session(who["user_id"], token, str(who.get("device_id")))


async def open_core(
    settings: Settings, options: UpOptions, stack: contextlib.AsyncExitStack
) -> Core:
    """Open the database and the homeserver and log the bot in; the stack closes them."""
    data = settings.data_dir.resolve()
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    territories = load_territories(settings)
    db = await open_database(settings, stack)
    homeserver = await start_homeserver(settings, options, data, stack)
    url = homeserver.url if homeserver is not None else settings.existing_homeserver()[0]
    http = await stack.enter_async_context(aiohttp.ClientSession())
    admin = SynapseAdmin(http, url)
    session = await bot_session(settings, admin, data, homeserver)
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
    return Core(
        settings=settings,
        options=options,
        data=data,
        territories=territories,
        db=db,
        url=url,
        admin=admin,
        session=session,
        store=store,
        client=client,
        outbox=outbox,
        metrics=metrics,
        dispatcher=dispatcher,
        network=network,
        ledger=SqlBulletinLedger(db),
        incident_store=SqlIncidentStore(db),
        outlines=functools.cache(lambda: load_outlines(settings)),
        uow=uow,
        once_uow=once_uow,
    )
