"""``prevnet up``: the homeserver, the bot, the outbox dispatcher and the scheduler, together.

Start order: database, homeserver (embedded, or an existing one by URL), bot account, rooms and
memberships reconciled with the registry, then the long-running parts. ``prevnet ready: <url>``
is printed when a client can log in and find its rooms. SIGINT or SIGTERM stops everything in
reverse order; a second run on the same data directory resumes and re-creates nothing.
Each part is made by a factory in ``prevnet/parts_*.py``; this module only orders them.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

from bots.network import ReconcileReport
from prevnet.bot_identity import cross_sign_bot
from prevnet.demo import write_demo_accounts
from prevnet.parts_api import start_api
from prevnet.parts_bot import AdminRoom, build_bot
from prevnet.parts_core import ADMIN_LINES, Core, UpOptions, open_core
from prevnet.parts_delivery import alert_delivery, subscribe_handlers
from prevnet.parts_jobs import start_scheduler
from prevnet.parts_mail import digest_mails, mail_dispatcher, receive_replies
from prevnet.settings import Settings
from prevnet.wiring import load_registry

__all__ = ["ADMIN_LINES", "UpOptions", "install_signal_handlers", "run_up"]


async def reconcile_at_start(core: Core) -> ReconcileReport:
    """Reconcile rooms and memberships with the registry before anything is delivered."""
    members, organisations = await load_registry(core.uow)
    startup = await core.network.reconcile(members, organisations)
    if core.options.demo:
        await write_demo_accounts(
            core.admin,
            core.data / "demo-accounts.json",
            core.uow(),
            core.url,
            core.settings.server_name,
        )
    return startup


async def run_up(
    settings: Settings, options: UpOptions, ready: Callable[[str], None], stop: asyncio.Event
) -> None:
    """Run the network until ``stop`` is set."""
    async with contextlib.AsyncExitStack() as stack:
        core = await open_core(settings, options, stack)
        parts = build_bot(core, stack)
        bot, dispatcher = parts.bot, core.dispatcher
        delivery = alert_delivery(core, parts)
        admins = AdminRoom(core.network, bot)
        dispatcher.on_dead_letter = admins.announce_dead_letters
        mails = await mail_dispatcher(core, delivery, admins)
        digest_mail = digest_mails(core)
        startup = await reconcile_at_start(core)
        timed = subscribe_handlers(core, parts, delivery)
        start_scheduler(core, parts, admins, timed, digest_mail, stack)

        # The bot syncs first: the dispatcher's messages need the rooms the sync brings.
        runners: list[asyncio.Task[None]] = [asyncio.create_task(bot.run(stop), name="bot")]
        ready_or_failed = asyncio.create_task(bot.ready.wait())
        try:
            await asyncio.wait([ready_or_failed, *runners], return_when=asyncio.FIRST_COMPLETED)
            if bot.ready.is_set():
                # cross-signed before the first bulletin; a failure is logged, never fatal
                await cross_sign_bot(core.client, core.store, core.data, admins.post)
                runners.append(asyncio.create_task(dispatcher.run(stop), name="dispatcher"))
                runners.append(asyncio.create_task(parts.sharing.run(stop), name="late-joiners"))
                if mails is not None:
                    runners.append(asyncio.create_task(mails.run(stop), name="email"))
                await receive_replies(core, stack)
                await start_api(core, parts.mail, timed.capsules, stack)
                if admins.news_in(startup) or startup.removed:
                    await admins.post(startup.summary(ADMIN_LINES))
                ready(core.url)
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


def install_signal_handlers(stop: asyncio.Event) -> None:
    """Ctrl-C and SIGTERM ask for a clean stop."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
