"""The bot cross-signs itself on the real homeserver: what another member's client sees.

Each test has a bot account of its own (cross-signing is per account), with the bot's device,
key store and secret made as ``prevnet up`` makes them (``bots.bot.bot_client``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import nio
import pytest
from click.testing import CliRunner
from signedjson.sign import verify_signed_json

from bots import key_store
from bots.bot import bot_client
from bots.cross_signing import BotIdentity, load_keys, rotate
from bots.signing_keys import fingerprint, verify_key
from bots.synapse_admin import Session, SynapseAdmin
from prevnet.bot_identity import cross_sign_bot
from prevnet.cli import cli
from tests.support.synapse import LocalHomeserver

PASSWORD = "bot-account-pw"


@dataclass
class BotAccount:
    """A bot account of the test's own, and another user who looks at its keys."""

    user_id: str
    data: Path
    admin: SynapseAdmin
    url: str
    observer: str  # the other user's access token
    notices: list[str]

    @property
    def store(self) -> Path:
        return self.data / "bot-store"

    async def device(self, device_id: str | None = None) -> Session:
        return await self.admin.login(self.user_id, PASSWORD, device_id)

    async def seen_by_others(self, http: aiohttp.ClientSession) -> dict[str, Any]:
        """The other user's ``/keys/query`` about the bot: what Element downloads."""
        async with http.post(
            f"{self.url}/_matrix/client/v3/keys/query",
            json={"device_keys": {self.user_id: []}},
            headers={"Authorization": f"Bearer {self.observer}"},
        ) as response:
            assert response.status == 200
            answer: dict[str, Any] = await response.json()
            return answer

    async def announce(self, text: str) -> None:
        """What the bot would post in #admin."""
        self.notices.append(text)

    def identity(self, client: nio.AsyncClient, store: Path | None = None) -> BotIdentity:
        return BotIdentity(client, store or self.store, PASSWORD, self.announce)


@pytest.fixture
async def bot(homeserver: LocalHomeserver, admin: SynapseAdmin, tmp_path: Path) -> BotAccount:
    user_id = homeserver.user_id(homeserver.unique("xsbot"))
    await admin.put_user(user_id, password=PASSWORD)
    observer_id = homeserver.user_id(homeserver.unique("observer"))
    await admin.put_user(observer_id, password="observer-pw")
    observer = await admin.login(observer_id, "observer-pw")
    data = tmp_path / "data"
    (data / "bot-store").mkdir(parents=True, mode=0o700)
    return BotAccount(user_id, data, admin, homeserver.url, observer.access_token, [])


def published(query: dict[str, Any], user_id: str, kind: str) -> str:
    keys = list(query[kind][user_id]["keys"].values())
    assert len(keys) == 1
    return str(keys[0])


def signed_by_self_signing_key(query: dict[str, Any], user_id: str, device_id: str) -> bool:
    """Whether the device's published keys carry a valid signature by the published SSK."""
    ssk = published(query, user_id, "self_signing_keys")
    device = query["device_keys"][user_id][device_id]
    if f"ed25519:{ssk}" not in device["signatures"][user_id]:
        return False
    verify_signed_json(device, user_id, verify_key(ssk))  # raises if it does not verify
    return True


async def test_first_start_publishes_a_verified_identity_and_a_restart_reuses_it(
    bot: BotAccount, http: aiohttp.ClientSession
) -> None:
    session = await bot.device()
    client = bot_client(bot.url, session, bot.store)
    try:
        first = await bot.identity(client).start()
    finally:
        await client.close()
    query = await bot.seen_by_others(http)
    master = published(query, bot.user_id, "master_keys")
    assert master == first.master_key
    verify_signed_json(  # the master key vouches for the self-signing key
        query["self_signing_keys"][bot.user_id], bot.user_id, verify_key(master)
    )
    assert signed_by_self_signing_key(query, bot.user_id, session.device_id)
    assert first.uploaded and first.signed_now

    client = bot_client(bot.url, session, bot.store)  # the restart, same device and store
    try:
        again = await bot.identity(client).start()
    finally:
        await client.close()
    assert (again.master_key, again.uploaded, again.signed_now) == (master, False, False)
    after = await bot.seen_by_others(http)
    assert published(after, bot.user_id, "master_keys") == master
    assert after["self_signing_keys"] == query["self_signing_keys"]
    assert (
        after["device_keys"][bot.user_id][session.device_id]
        == (query["device_keys"][bot.user_id][session.device_id])
    )
    assert bot.notices == []


async def test_a_second_instance_is_signed_by_the_same_key_once_it_holds_the_bots_secret(
    bot: BotAccount, http: aiohttp.ClientSession, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = bot_client(bot.url, await bot.device(), bot.store)
    try:
        made = await bot.identity(first).start()
    finally:
        await first.close()

    stranger_data = tmp_path / "other"  # an instance with a secret of its own cannot sign
    (stranger_data / "bot-store").mkdir(parents=True, mode=0o700)
    stranger = await bot.device()
    client = bot_client(bot.url, stranger, stranger_data / "bot-store")
    try:  # as prevnet up starts it: the failure is logged with what to do, nothing raised
        with caplog.at_level(logging.ERROR, logger="prevnet.bot_identity"):
            started = await cross_sign_bot(
                client, stranger_data / "bot-store", stranger_data, bot.announce
            )
    finally:
        await client.close()
    assert started is None
    assert "copy the first instance's data/bot-store.key" in caplog.text
    assert not signed_by_self_signing_key(
        await bot.seen_by_others(http), bot.user_id, stranger.device_id
    )

    second_store = tmp_path / "two" / "bot-store"  # the first instance's secret copied over
    second_store.mkdir(parents=True, mode=0o700)
    shutil.copy(key_store.key_file(bot.store), key_store.key_file(second_store))
    second = await bot.device("SECONDINSTANCE")
    client = bot_client(bot.url, second, second_store)
    try:
        joined = await bot.identity(client, second_store).start()
    finally:
        await client.close()
    assert (joined.master_key, joined.uploaded, joined.signed_now) == (made.master_key, False, True)
    query = await bot.seen_by_others(http)
    assert published(query, bot.user_id, "master_keys") == made.master_key
    assert signed_by_self_signing_key(query, bot.user_id, "SECONDINSTANCE")


async def prevnet(data: Path, url: str, token: str, *args: str) -> str:
    """``prevnet --data-dir DATA bot keys ...`` as the bot on this homeserver (in a thread: the
    command runs its own event loop)."""
    env = {"PREVNET_HOMESERVER_URL": url, "PREVNET_HOMESERVER_TOKEN": token}
    command = ["--data-dir", str(data), "bot", "keys", *args]
    result = await asyncio.to_thread(CliRunner().invoke, cli, command, env=env)
    assert result.exit_code == 0, result.output
    return result.output


async def test_rotate_replaces_the_identity_resigns_the_devices_and_tells_admin(
    bot: BotAccount, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    session = await bot.device()
    (bot.data / "bot-credentials.json").write_text(
        json.dumps({"user_id": bot.user_id, "device_id": session.device_id, "password": PASSWORD})
    )
    second_store = tmp_path / "two" / "bot-store"
    second_store.mkdir(parents=True, mode=0o700)
    client = bot_client(bot.url, session, bot.store)
    try:
        old = await bot.identity(client).start()
        shutil.copy(key_store.key_file(bot.store), key_store.key_file(second_store))
        second = await bot.device()
        second_client = bot_client(bot.url, second, second_store)
        try:
            await bot.identity(second_client, second_store).start()
        finally:
            await second_client.close()

        shown = await prevnet(bot.data, bot.url, session.access_token)
        assert f"master key: {fingerprint(old.master_key)}" in shown
        assert f"device {session.device_id} (this instance): signed" in shown

        rotated = await prevnet(bot.data, bot.url, session.access_token, "--rotate")
        query = await bot.seen_by_others(http)
        new = published(query, bot.user_id, "master_keys")
        assert new != old.master_key
        assert f"new master key: {fingerprint(new)}" in rotated
        for device_id in (session.device_id, second.device_id):  # both re-signed, new key
            assert signed_by_self_signing_key(query, bot.user_id, device_id)

        await client.sync(timeout=0)  # the running bot hears of it through its sync
        assert len(bot.notices) == 1
        assert fingerprint(new) in bot.notices[0] and "replaced" in bot.notices[0]
    finally:
        await client.close()
    client = bot_client(bot.url, session, bot.store)  # its store holds the new keys now
    try:
        restarted = await bot.identity(client).start()
    finally:
        await client.close()
    assert (restarted.master_key, restarted.uploaded, restarted.adopted) == (new, False, False)
    assert len(bot.notices) == 1


async def test_a_bot_that_could_not_sign_takes_over_the_rotation_its_log_asked_for(
    bot: BotAccount, http: aiohttp.ClientSession, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Someone replaced the bot's identity: prevnet up logs it and asks for ``--rotate``. The
    bot that kept running must then take the new identity over and tell #admin, as the
    command says it does (it used to watch for rotations only once its own start had worked)."""
    session = await bot.device()
    (bot.data / "bot-credentials.json").write_text(
        json.dumps({"user_id": bot.user_id, "device_id": session.device_id, "password": PASSWORD})
    )
    client = bot_client(bot.url, session, bot.store)
    try:
        await bot.identity(client).start()
    finally:
        await client.close()
    intruder_store = tmp_path / "intruder" / "bot-store"  # a secret of its own
    intruder_store.mkdir(parents=True, mode=0o700)
    intruder = bot_client(bot.url, await bot.device(), intruder_store)
    try:
        await rotate(intruder, intruder_store, PASSWORD)
    finally:
        await intruder.close()

    client = bot_client(bot.url, session, bot.store)  # prevnet up starts again
    try:
        with caplog.at_level(logging.ERROR, logger="prevnet.bot_identity"):
            started = await cross_sign_bot(client, bot.store, bot.data, bot.announce)
        assert started is None and "prevnet bot keys --rotate" in caplog.text
        rotated = await prevnet(bot.data, bot.url, session.access_token, "--rotate")
        assert "the running bot takes the new keys over" in rotated
        await client.sync(timeout=0)  # the running bot hears of it through its sync
    finally:
        await client.close()
    query = await bot.seen_by_others(http)
    new = published(query, bot.user_id, "master_keys")
    assert len(bot.notices) == 1 and fingerprint(new) in bot.notices[0]
    assert signed_by_self_signing_key(query, bot.user_id, session.device_id)
    kept = load_keys(bot.store)
    assert kept is not None and kept.master_public == new  # in the store for the next start
