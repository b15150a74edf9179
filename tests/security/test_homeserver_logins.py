"""The demo's accounts can all log in from one loopback address; production keeps the limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from bots.synapse_admin import SynapseAdmin
from prevnet.homeserver import Homeserver, HomeserverFiles, HomeserverOptions
from tests.support.synapse import free_port

ACCOUNTS = 10  # the demo seeds ten people


@asynccontextmanager
async def homeserver_with(root: Path, *, demo_logins: bool) -> AsyncIterator[Homeserver]:
    options = HomeserverOptions(
        "logins.test", free_port(), bcrypt_rounds=4, demo_logins=demo_logins
    )
    server = Homeserver(HomeserverFiles(root), options)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def login_statuses(server: Homeserver) -> list[int]:
    """Make ten accounts, then log each in once from loopback, as ten demo clients would."""
    async with aiohttp.ClientSession() as http:
        admin = SynapseAdmin(http, server.url)
        bot = await admin.register(server.registration_shared_secret, "prevnet", "pw", admin=True)
        admin.access_token = bot.access_token
        statuses = []
        for n in range(ACCOUNTS):
            user_id = f"@person{n}:logins.test"
            await admin.put_user(user_id, password=f"pw-{n}")
            body = {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": user_id},
                "password": f"pw-{n}",
            }
            async with http.post(f"{server.url}/_matrix/client/v3/login", json=body) as response:
                statuses.append(response.status)
        return statuses


async def test_every_demo_account_logs_in_from_loopback(tmp_path: Path) -> None:
    async with homeserver_with(tmp_path / "demo", demo_logins=True) as server:
        assert await login_statuses(server) == [200] * ACCOUNTS


async def test_without_the_demo_option_logins_from_one_address_are_limited(tmp_path: Path) -> None:
    async with homeserver_with(tmp_path / "production", demo_logins=False) as server:
        statuses = await login_statuses(server)
    assert 429 in statuses, statuses  # Synapse's own limit, which production keeps
