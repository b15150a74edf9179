"""The bot's crypto store is not readable with matrix-nio's default pickle key, and is owner-only.

Found: the store was pickled with nio's fixed ``"DEFAULT_KEY"`` (anyone with a copy read every
room key) and its files were 0644.
"""

from __future__ import annotations

import stat
from pathlib import Path

import nio
import pytest
from nio.store import DefaultStore

from bots.bot import bot_client
from bots.key_store import NIO_DEFAULT_PICKLE_KEY, KeyStoreError, key_file
from bots.synapse_admin import Session

SESSION = Session("@prevnet:prevnet.localhost", "not-a-real-token", "BOTDEVICE")
NOWHERE = "http://127.0.0.1:9"  # the store is opened without talking to any homeserver


def opens_with(store: Path, key: str) -> bool:
    candidate = DefaultStore(SESSION.user_id, SESSION.device_id, str(store), key)
    try:
        return candidate.load_account() is not None
    except ValueError:
        return False
    finally:
        candidate.database.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_store_needs_its_own_key_and_is_owner_only(tmp_path: Path) -> None:
    store = tmp_path / "bot-store"
    store.mkdir()  # 0755 under the test's umask, as an older prevnet left it
    client = bot_client(NOWHERE, SESSION, store)
    try:
        assert client.olm is not None
    finally:
        await client.close()
    assert not opens_with(store, NIO_DEFAULT_PICKLE_KEY)
    assert opens_with(store, key_file(store).read_text().strip())
    assert mode(key_file(store)) == 0o600
    assert mode(store) == 0o700
    files = list(store.iterdir())
    assert files and all(mode(f) == 0o600 for f in files), {f.name: oct(mode(f)) for f in files}


async def test_a_store_pickled_with_the_default_key_is_re_encrypted_and_keeps_its_device(
    tmp_path: Path,
) -> None:
    store = tmp_path / "bot-store"
    store.mkdir()
    old = nio.AsyncClient(
        NOWHERE,
        SESSION.user_id,
        device_id=SESSION.device_id,
        store_path=str(store),
        config=nio.AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
    )
    old.restore_login(SESSION.user_id, SESSION.device_id, SESSION.access_token)
    assert old.olm is not None
    identity = old.olm.account.identity_keys
    await old.close()
    assert opens_with(store, NIO_DEFAULT_PICKLE_KEY)

    client = bot_client(NOWHERE, SESSION, store)
    try:
        assert client.olm is not None
        assert client.olm.account.identity_keys == identity  # the same device, not a new one
    finally:
        await client.close()
    assert not opens_with(store, NIO_DEFAULT_PICKLE_KEY)
    assert opens_with(store, key_file(store).read_text().strip())


async def test_a_lost_key_file_is_reported_not_replaced_by_a_new_device(tmp_path: Path) -> None:
    store = tmp_path / "bot-store"
    store.mkdir()
    await bot_client(NOWHERE, SESSION, store).close()
    key_file(store).unlink()
    with pytest.raises(KeyStoreError, match="restore both from the same backup"):
        bot_client(NOWHERE, SESSION, store)
