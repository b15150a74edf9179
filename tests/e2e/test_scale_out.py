"""Scaling out: two ``prevnet up`` processes (two devices of the bot) on one PostgreSQL database
and one homeserver. Each command is carried out once and each bulletin is sent once."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from bots.synapse_admin import SynapseAdmin
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from tests.conftest import _admin
from tests.e2e.test_alerts import ALERT, Cast, bulletins_in, notice
from tests.support.synapse import free_port
from tests.support.up import SERVER, Running, start, terminate

_names = itertools.count()


@pytest.fixture
async def shared_database(postgres_url: str) -> AsyncIterator[str]:
    name = f"prevnet_scale_{next(_names)}"
    conn = await _admin(postgres_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield make_url(postgres_url).set(database=name).render_as_string(False)
    conn = await _admin(postgres_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def two_instances(
    shared_database: str, tmp_path: Path
) -> AsyncIterator[tuple[Running, Running]]:
    env = {"PREVNET_DATABASE_URL": shared_database}
    first = await start(tmp_path / "one", free_port(), env)
    running = [first]
    try:
        stored = json.loads((first.data / "bot-credentials.json").read_text())
        async with aiohttp.ClientSession() as http:  # the bot's second device
            session = await SynapseAdmin(http, first.url).login(
                stored["user_id"], stored["password"], "SECONDINSTANCE"
            )
        second = await start(
            tmp_path / "two",
            free_port(),
            {
                **env,
                "PREVNET_HOMESERVER_URL": first.url,
                "PREVNET_HOMESERVER_TOKEN": session.access_token,
            },
            demo=False,
        )
        running.append(second)
        yield first, second
    finally:
        for instance in reversed(running):
            await terminate(instance.process)


async def test_two_bot_processes_send_each_bulletin_once(
    two_instances: tuple[Running, Running], shared_database: str, tmp_path: Path
) -> None:
    first, second = two_instances
    cast = Cast(first, tmp_path / "keys")
    try:
        officer = await cast.person("inspecteur.mons")
        frameries = await cast.person("prevention.frameries")
        zone_mons = await officer.room(f"#zone-5324:{SERVER}")
        zone_boraine = await frameries.room(f"#zone-5327:{SERVER}")
        refs = []
        seen: set[str] = set()
        for n in range(3):
            await officer.say(zone_mons, ALERT.replace("Wave of", f"Wave {n} of"))
            draft = await officer.wait_for(notice(zone_mons, "Draft A-", besides=frozenset(seen)))
            seen.add(draft.event_id)
            ref = draft.body.split()[1].rstrip(":")
            await officer.say(zone_mons, f"!alert publish {ref}")
            refs.append(ref)
        for ref in refs:
            await frameries.wait_for(notice(zone_boraine, "TLP:AMBER", ref))
        db = Database.connect(shared_database)
        try:
            for _ in range(100):
                if (await Outbox(db, "probe").stats()).pending == 0:
                    break
                await asyncio.sleep(0.2)
            assert (await Outbox(db, "probe").stats()).pending == 0
        finally:
            await db.close()
        await asyncio.sleep(2)  # a duplicate, if any, would have landed by now
        # the routed room of the demo other than the author's holds one bulletin per alert
        stored = await bulletins_in(first, zone_boraine)
        assert len(stored) == len(refs), len(stored)
        # each draft was answered once, though both processes read the command
        drafts = [
            e
            for r, e in officer.received
            if r == zone_mons and "Draft A-" in getattr(e, "body", "")
        ]
        assert len(drafts) == len(refs)
        failures = [e for _, e in officer.received if "went wrong" in getattr(e, "body", "")]
        assert failures == []  # the process that lost the race stayed silent
    finally:
        await cast.close()
    assert first.process.returncode is None and second.process.returncode is None
