"""The bot's cross-signing private keys on disk: sealed under the bot's secret, owner-only.

Whoever holds the self-signing key can make any device look like the bot's in Element, so a
copy of the key file (a backup, a volume snapshot) must give nothing without ``bot-store.key``.
"""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from bots.bot import bot_client
from bots.cross_signing import key_file, load_keys, save_keys
from bots.key_store import key_file as pickle_key_file
from bots.signing_keys import CrossSigningKeys, SealedKeysError
from bots.synapse_admin import Session

SESSION = Session("@prevnet:prevnet.localhost", "not-a-real-token", "BOTDEVICE")
NOWHERE = "http://127.0.0.1:9"  # the store is opened without talking to any homeserver


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
