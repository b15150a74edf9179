"""The real Synapse homeserver of the test session, in prevnet's own closed configuration."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import nio

from bots.synapse_admin import Session, SynapseAdmin
from prevnet.homeserver import Homeserver, HomeserverFiles, HomeserverOptions

SERVER_NAME = "prevnet.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalHomeserver:
    """The running homeserver, its admin bot session and a way to make fresh names."""

    server: Homeserver
    bot: Session
    bot_password: str

    @property
    def url(self) -> str:
        return self.server.url

    def unique(self, prefix: str = "t") -> str:
        """A fresh lower-case name, so that every test has its own users and rooms."""
        return f"{prefix}{uuid.uuid4().hex[:8]}"

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{SERVER_NAME}"


@asynccontextmanager
async def running_homeserver(root: Path) -> AsyncIterator[LocalHomeserver]:
    """Start Synapse (relaxed rate limits, cheap hashing) and register the bot as a server admin."""
    options = HomeserverOptions(
        server_name=SERVER_NAME, port=free_port(), bcrypt_rounds=4, relaxed_rate_limits=True
    )
    server = Homeserver(HomeserverFiles(root), options)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            admin = SynapseAdmin(http, server.url)
            password = "bot-" + uuid.uuid4().hex
            bot = await admin.register(
                server.registration_shared_secret,
                "prevnet",
                password,
                admin=True,
                displayname="prevnet",
            )
        yield LocalHomeserver(server, bot, password)
    finally:
        await server.stop()


def client_for(url: str, session: Session, store: Path | None = None) -> nio.AsyncClient:
    """A matrix-nio client acting as an existing session (encryption only with a store)."""
    config = nio.AsyncClientConfig(
        encryption_enabled=store is not None,
        store_sync_tokens=store is not None,
        max_limit_exceeded=0,
        max_timeouts=2,
    )
    client = nio.AsyncClient(
        url,
        session.user_id,
        device_id=session.device_id,
        store_path=str(store) if store else "",
        config=config,
    )
    client.restore_login(session.user_id, session.device_id, session.access_token)
    return client
