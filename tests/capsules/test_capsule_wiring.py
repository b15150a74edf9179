"""Capsules wired as ``prevnet up`` wires them with ``[email]`` (SQLite and PostgreSQL): the
coordinators' mail goes through a real relay (aiosmtpd) with the unsubscribe link of the pages'
server, and that link, served by the same wiring over HTTP, stops the next capsule's mail until
the address is resubscribed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import aiohttp
import nio
import pytest
from aiohttp import web

from bots.capsule_commands import register_capsule_commands
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.territory import TerritoryRegistry
from prevnet.capsule_settings import CapsuleSettings
from prevnet.capsule_wiring import CapsuleParts, capsule_parts
from prevnet.dispatch import Dispatcher
from prevnet.settings import Settings
from tests.capsules.test_capsule_commands import capsule_ref, published, text
from tests.mail.smtp_relay import Relay, free_port, relay
from tests.support.alert_desk import Desk

__all__ = ["relay"]
COORDINATOR = "coordination.bin@example.org"


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


@pytest.fixture
async def wired(desk: Desk, relay: Relay, tmp_path: Path) -> AsyncIterator[CapsuleParts]:
    """The capsule parts with ``[email]``, their pages served on a free loopback port."""
    port = free_port()
    settings = Settings(
        email=relay.settings(),
        data_dir=tmp_path,
        public_url=f"http://127.0.0.1:{port}",
        capsules=CapsuleSettings(capsules_per_week=5),
    )

    async def post(room_id: str, content: dict[str, Any], **kwargs: Any) -> str:
        return "$posted"

    async def no_room(key: str) -> str | None:
        return None  # no zone room: only the mail is looked at here

    parts = capsule_parts(
        settings,
        desk.db,
        desk.desk,
        desk.clock,
        lambda: None,
        cast(nio.AsyncClient, None),
        post,
        no_room,
    )
    register_capsule_commands(desk.registry, parts.desk)
    app = web.Application()
    parts.add_routes(app, desk.territories, settings.pages_url)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield parts
    finally:
        await runner.cleanup()


async def _approved_and_delivered(desk: Desk, parts: CapsuleParts, ref: str) -> None:
    c = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    assert "published" in text(await desk.say("analyste.mons", f"!capsule approve {c}"))
    outbox = Outbox(desk.db, "wiring-test", desk.clock)
    await Dispatcher(outbox, list(parts.subscriptions), clock=desk.clock).run_once()
    assert (await outbox.stats()).pending == 0, "a capsule delivery failed"


async def test_the_wired_unsubscribe_link_stops_the_next_capsule_mail(
    desk: Desk, relay: Relay, wired: CapsuleParts
) -> None:
    ref = await published(desk)
    await _approved_and_delivered(desk, wired, ref)
    [mail] = relay.inbox.to(COORDINATOR)
    link = str(mail["List-Unsubscribe"]).strip("<>")
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as shown:  # a link scanner's fetch changes nothing
            assert shown.status == 200
        async with http.post(link, data="List-Unsubscribe=One-Click") as done:
            assert done.status == 200 and COORDINATOR in await done.text()
    await _approved_and_delivered(desk, wired, ref)
    assert len(relay.inbox.to(COORDINATOR)) == 1  # the second capsule mailed nobody
    assert await wired.store.opt_in(COORDINATOR)  # prevnet capsule resubscribe
    await _approved_and_delivered(desk, wired, ref)
    assert len(relay.inbox.to(COORDINATOR)) == 2
