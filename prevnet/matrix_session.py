"""Reaching the homeserver from a command while ``prevnet up`` runs: as the bot, no sync."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import nio

from bots.network import MatrixNetwork
from bots.room_directory import RoomDirectory
from bots.room_repair import AlertRecipients
from bots.synapse_admin import Session, SynapseAdmin
from phenomena.territory import TerritoryRegistry
from prevnet.running import read_running
from prevnet.settings import Settings, SettingsError


@dataclass(frozen=True)
class BotAccess:
    """Where the homeserver is and the bot's session on it."""

    url: str
    session: Session


def bot_access(settings: Settings) -> BotAccess:
    """The bot's access: from the settings (external homeserver) or the data directory.

    With the embedded homeserver, the URL is the one the running ``prevnet up`` recorded in the
    data directory, never a default port: the bot's server-admin token goes nowhere else.
    """
    if settings.homeserver_url and settings.homeserver_token:
        return BotAccess(settings.homeserver_url, Session("", settings.homeserver_token, ""))
    data = settings.data_dir.resolve()
    credentials = data / "bot-credentials.json"
    if not credentials.exists():
        raise SettingsError(
            f"no homeserver credentials in {data}: start the network once with `prevnet up`"
        )
    running = read_running(data)
    if running is None:
        raise SettingsError(
            f"the network of {data} is not running: start it with "
            f"`prevnet up --data-dir {data}`, then run this command again"
        )
    stored = json.loads(credentials.read_text(encoding="utf-8"))
    return BotAccess(
        running.url, Session(stored["user_id"], stored["access_token"], stored["device_id"])
    )


@asynccontextmanager
async def matrix_network(
    settings: Settings,
    territories: TerritoryRegistry,
    directory: RoomDirectory,
    alert_recipients: AlertRecipients | None = None,
) -> AsyncIterator[MatrixNetwork]:
    """A MatrixNetwork acting as the bot, without encryption (it sends no messages).

    ``alert_recipients`` tells alert rooms' repair who each room is for (``stored_recipients``).
    """
    access = bot_access(settings)
    async with aiohttp.ClientSession() as http:
        admin = SynapseAdmin(http, access.url, access.session.access_token)
        try:
            who = await admin.request("GET", "/_matrix/client/v3/account/whoami")
        except aiohttp.ClientConnectionError:
            raise SettingsError(
                f"the homeserver at {access.url} does not answer: is `prevnet up` running?"
            ) from None
        assert who is not None
        client = nio.AsyncClient(
            access.url,
            who["user_id"],
            config=nio.AsyncClientConfig(encryption_enabled=False),
        )
        client.restore_login(
            who["user_id"], str(who.get("device_id") or ""), access.session.access_token
        )
        try:
            yield MatrixNetwork(
                client,
                admin,
                settings.server_name,
                territories,
                directory,
                alert_recipients=alert_recipients,
            )
        finally:
            await client.close()
