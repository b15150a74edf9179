"""``prevnet bot keys``: the bot's cross-signing identity, shown or replaced (``--rotate``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import click
import nio

from bots.cross_signing import CrossSigningStatus, load_keys, rotate, status
from bots.signing_keys import fingerprint
from bots.synapse_admin import SynapseAdmin
from prevnet.bot_identity import bot_password
from prevnet.cli.app import App
from prevnet.matrix_session import bot_access
from prevnet.settings import SettingsError


@click.group("bot")
def bot() -> None:
    """The bot account's own settings on the homeserver."""


@asynccontextmanager
async def bot_http_client(app: App) -> AsyncIterator[nio.AsyncClient]:
    """matrix-nio's client on the bot's session, for plain requests (no sync, no encryption)."""
    access = bot_access(app.settings)
    async with aiohttp.ClientSession() as http:
        try:
            who = await SynapseAdmin(http, access.url, access.session.access_token).request(
                "GET", "/_matrix/client/v3/account/whoami"
            )
        except aiohttp.ClientConnectionError:
            raise SettingsError(
                f"the homeserver at {access.url} does not answer: is `prevnet up` running?"
            ) from None
    assert who is not None
    client = nio.AsyncClient(
        access.url, who["user_id"], config=nio.AsyncClientConfig(encryption_enabled=False)
    )
    client.restore_login(
        who["user_id"], str(who.get("device_id") or ""), access.session.access_token
    )
    try:
        yield client
    finally:
        await client.close()


@bot.command("keys")
@click.option(
    "--rotate",
    "rotate_keys",
    is_flag=True,
    help="Replace the bot's identity: new master, self- and user-signing keys, devices re-signed.",
)
@click.pass_obj
def keys(app: App, rotate_keys: bool) -> None:
    """Show the bot's master key fingerprint and whether its devices are signed.

    With --rotate, replace the identity (the running bot says so in #admin; members who had
    verified the bot verify it again).
    """
    data = app.settings.data_dir.resolve()
    store = data / "bot-store"
    if not store.is_dir():
        raise click.ClickException(f"no bot key store in {data}: start `prevnet up` once first")

    async def show() -> list[str]:
        async with bot_http_client(app) as client:
            published, device_id = await status(client)
        stored = load_keys(store)
        lines = [
            "master key: "
            + (fingerprint(published.master) if published.master else "none on the homeserver"),
        ]
        if stored is None:
            lines.append(f"private keys: not in {store} (this instance cannot sign a device)")
        elif stored.master_public != published.master:
            lines.append("private keys: another identity (the bot adopts the new one at start)")
        for name in sorted(published.devices):
            state = "signed" if published.signed_by(name) else "NOT signed"
            mark = " (this instance)" if name == device_id else ""
            lines.append(f"device {name}{mark}: {state}")
        return lines

    async def replace() -> CrossSigningStatus:
        async with bot_http_client(app) as client:
            return await rotate(client, store, bot_password(data))

    if rotate_keys:
        done = app.run(replace)
        click.echo(f"new master key: {fingerprint(done.master_key)}")
        click.echo(
            f"device {done.device_id}: {'signed' if done.device_signed else 'NOT signed'}; the "
            "running bot takes the new keys over and says so in #admin"
        )
        return
    for line in app.run(show):
        click.echo(line)
