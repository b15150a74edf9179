"""The bot's cross-signing private keys on disk: sealed under the bot's secret, owner-only.

Whoever holds the self-signing key can make any device look like the bot's in Element, so a
copy of the key file (a backup, a volume snapshot) must give nothing without ``bot-store.key``.
"""

from __future__ import annotations

import base64
import logging
import stat
from pathlib import Path

import nio
import pytest

from bots.bot import bot_client
from bots.cross_signing import (
    ACCOUNT_DATA_TYPE,
    BotIdentity,
    CrossSigningError,
    CrossSigningStatus,
    _adopt_shared,
    key_file,
    load_keys,
    save_keys,
)
from bots.key_store import key_file as pickle_key_file
from bots.key_store import pickle_key
from bots.signing_keys import CrossSigningKeys, SealedKeysError, seal
from bots.synapse_admin import Session

SESSION = Session("@prevnet:prevnet.localhost", "not-a-real-token", "BOTDEVICE")
NOWHERE = "http://127.0.0.1:9"  # the store is opened without talking to any homeserver


async def _opened(store: Path) -> nio.AsyncClient:
    """The store made as prevnet up makes it (its secret too), then its client closed."""
    client = bot_client(NOWHERE, SESSION, store)
    await client.close()
    return client


def private_forms(seed: str) -> list[bytes]:
    """A seed as it could leak: its base64 text, its raw bytes, and their hex."""
    raw = base64.b64decode(seed + "=" * (-len(seed) % 4))
    return [seed.encode(), raw, raw.hex().encode()]


async def test_the_key_file_holds_no_private_key_in_clear_and_is_owner_only(
    tmp_path: Path,
) -> None:
    store = tmp_path / "bot-store"
    store.mkdir(mode=0o700)
    client = bot_client(NOWHERE, SESSION, store)  # as prevnet up opens the store
    await client.close()
    keys = CrossSigningKeys.generate(SESSION.user_id)
    save_keys(store, keys)
    path = key_file(store)
    on_disk = path.read_bytes()
    for seed in (keys.master, keys.self_signing, keys.user_signing):
        for form in private_forms(seed):
            assert form not in on_disk
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.stat().st_mode) == 0o700
    assert load_keys(store) == keys  # with its secret, the same keys come back

    pickle_key_file(store).write_text("a-secret-from-another-instance\n")  # a stolen file alone
    with pytest.raises(SealedKeysError, match=r"Restore the bot-store\.key it was made with"):
        load_keys(store)


async def test_a_damaged_key_file_is_named_with_what_to_do_and_nothing_is_replaced(
    tmp_path: Path,
) -> None:
    store = tmp_path / "bot-store"
    store.mkdir(mode=0o700)
    client = bot_client(NOWHERE, SESSION, store)
    await client.close()
    keys = CrossSigningKeys.generate(SESSION.user_id)
    save_keys(store, keys)
    path = key_file(store)
    whole = path.read_bytes()
    for damaged in (whole[: len(whole) // 2], b"", b'{"version": 1, "user_id": "x", "nonce": ""}'):
        path.write_bytes(damaged)
        with pytest.raises(SealedKeysError, match="restore it from a backup"):
            load_keys(store)
        assert path.read_bytes() == damaged  # left as found, for whoever repairs it


async def test_a_rotation_heard_while_the_homeserver_is_away_does_not_end_the_sync(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The account-data callback runs inside matrix-nio's sync loop: whatever it meets is
    logged, since an exception there ended the bot's sync (and ``prevnet up``)."""
    store = tmp_path / "bot-store"
    store.mkdir(mode=0o700)
    await _opened(store)
    client = nio.AsyncClient(NOWHERE, SESSION.user_id, config=nio.AsyncClientConfig())
    client.restore_login(SESSION.user_id, SESSION.device_id, SESSION.access_token)
    try:
        keys = CrossSigningKeys.generate(SESSION.user_id)
        save_keys(store, keys)

        async def announce(text: str) -> None:
            raise AssertionError(f"announced {text}")

        identity = BotIdentity(client, store, None, announce)
        identity.status = CrossSigningStatus(keys.master_public, SESSION.device_id, True)
        other = CrossSigningKeys.generate(SESSION.user_id).master_public
        event = nio.UnknownAccountDataEvent(ACCOUNT_DATA_TYPE, {"master_key": other})
        with caplog.at_level(logging.ERROR, logger="bots.cross_signing"):
            await identity._on_account_data(event)  # as nio calls it from its sync
        assert "could not be taken over" in caplog.text
        assert identity.status.master_key == keys.master_public
    finally:
        await client.close()


class _Shared:
    """The homeserver's account-data copy, as ``_adopt_shared`` reads it (nothing else)."""

    def __init__(self, content: dict[str, object]) -> None:
        self.content = content

    async def shared_copy(self) -> dict[str, object]:
        return self.content


async def test_a_shared_copy_whose_label_lies_is_not_taken_over(tmp_path: Path) -> None:
    """The copy's ``master_key`` is a label outside the seal: a copy labelled with the published
    key but holding other keys must not replace the bot's own."""
    store = tmp_path / "bot-store"
    store.mkdir(mode=0o700)
    await _opened(store)
    own = CrossSigningKeys.generate(SESSION.user_id)
    save_keys(store, own)
    published = CrossSigningKeys.generate(SESSION.user_id).master_public
    other = seal(CrossSigningKeys.generate(SESSION.user_id), pickle_key(store))
    lying = _Shared({**other, "master_key": published})
    with pytest.raises(CrossSigningError, match="is left as it was"):
        await _adopt_shared(lying, store, published)  # type: ignore[arg-type]
    assert load_keys(store) == own
