"""Element's own SDK counts the bot's bulletins as sent by a device its owner signed.

The member is matrix-js-sdk with its Rust crypto (what Element runs); the bot is matrix-nio,
cross-signed by ``bots.cross_signing``. One bulletin from the first instance's device, one from
a second instance's device (its own store, the first's ``bot-store.key`` copied), and one from
that instance after a restart: each decrypts with no "unsigned device" shield.

The session's bot account is the one cross-signed here (the rooms are its own), once: its
identity's private keys stay in this test's key stores, as ``prevnet up`` keeps them in
``bot-store/``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from bots import key_store
from bots.bot import Bot
from bots.commands import CommandRegistry
from bots.cross_signing import BotIdentity
from phenomena.alert import Alert
from phenomena.partners import Member
from tests.matrix.test_element_client import CABLE_THEFT, member_at_js
from tests.support.attention_chat import (
    Chat,
    chat_fixture,  # noqa: F401
)
from tests.support.bots import running_bot
from tests.support.jsclient import JsClient, JsClients, js_clients_fixture  # noqa: F401


async def nobody(user_id: str) -> Member | None:
    """The second instance here only posts bulletins: it answers nobody."""
    return None


@dataclass
class KeptToken:
    """The second instance's sync token, kept across its restart as prevnet's database keeps it
    (its restart then syncs on from there instead of reading every room again)."""

    token: str | None = None

    async def load(self) -> str | None:
        return self.token

    async def save(self, token: str) -> None:
        self.token = token


async def nobody_announces(text: str) -> None:
    raise AssertionError(f"nothing was rotated, yet #admin would be told: {text}")


async def cross_signed(bot: Bot, store: Path, password: str) -> None:
    """The instance's device signed, as ``prevnet up`` does once its bot is ready."""
    await BotIdentity(bot.client, store, password, nobody_announces).start()


async def seen_from(chat: Chat, member: JsClient, bot: Bot, alert: Alert) -> None:
    """The alert's bulletin as the member's SDK sees it: from ``bot``'s device, owner-signed."""
    zone = await chat.room("zone:5324")
    record = await chat.bulletin(alert.id, "zone:5324")
    seen = await member.wait_for_event(zone, event_id=record.event_id)
    assert seen.decryption_failure is None and alert.ref in seen.body
    assert seen.sender_device == bot.client.device_id
    assert seen.sender_has_cross_signing_keys
    assert seen.device is not None and seen.device.signed_by_owner, seen.device
    assert seen.shield_reason != "UNSIGNED_DEVICE" and seen.shield_colour != "RED", (
        seen.shield_colour,
        seen.shield_reason,
    )


async def publish_from(chat: Chat, bot: Bot) -> Alert:
    """Publish an alert whose bulletins ``bot`` sends (the chat's delivery, on that device)."""
    first = chat.bot
    chat.bot = bot
    try:
        return await chat.publish(CABLE_THEFT)
    finally:
        chat.bot = first


async def test_bulletins_from_the_first_a_second_and_a_restarted_instance_are_owner_signed(
    chat: Chat, js_clients: JsClients, tmp_path: Path
) -> None:
    homeserver = chat.homeserver
    password = homeserver.bot_password
    first_store = tmp_path / "bot-store"  # where the chat's bot keeps its keys
    officer = await member_at_js(chat, js_clients, "officer")
    await cross_signed(chat.bot, first_store, password)
    await seen_from(chat, officer, chat.bot, await publish_from(chat, chat.bot))

    second_store = tmp_path / "second" / "bot-store"  # a second instance: its own store...
    second_store.mkdir(parents=True, mode=0o700)
    shutil.copy(key_store.key_file(first_store), key_store.key_file(second_store))  # ...secret
    session = await chat.admin.login(homeserver.bot.user_id, password)
    kept = KeptToken()
    for _ in ("first start", "restart"):  # the same device, store and sync token both times
        async with running_bot(
            homeserver.url, session, second_store, CommandRegistry(), nobody, sync_tokens=kept
        ) as second:
            await cross_signed(second, second_store, password)
            await seen_from(chat, officer, second, await publish_from(chat, second))
