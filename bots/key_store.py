"""The bot's encryption key store, pickled under a secret of its own.

matrix-nio encrypts the keys it stores (the device's Olm account, its Olm and Megolm sessions)
with a pickle key that defaults to a fixed ``"DEFAULT_KEY"``: anyone with a copy of the store
could read every room key. The bot's store uses a random key kept owner-only beside it
(``bot-store.key``); a store written under the default key is re-pickled under the new one, so
the device and its room keys carry on.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from nio.store import DefaultStore

log = logging.getLogger(__name__)

NIO_DEFAULT_PICKLE_KEY = "DEFAULT_KEY"


class KeyStoreError(RuntimeError):
    """The key store cannot be opened with its key; the message says what to do."""


def key_file(store: Path) -> Path:
    """Where a store's pickle key is kept: ``bot-store`` -> ``bot-store.key`` beside it."""
    return store.with_name(store.name + ".key")


def pickle_key(store: Path) -> str:
    """The store's pickle key: read, or made (random, 0600) on first use."""
    path = key_file(store)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="utf-8").strip()
        if not key:
            raise KeyStoreError(f"{path} is empty: restore it from a backup") from None
        return key
    key = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def database_file(store: Path, user_id: str, device_id: str) -> Path:
    """The SQLite file matrix-nio keeps a device's keys in."""
    return store / f"{user_id}_{device_id}.db"


def _opens_with(store: Path, user_id: str, device_id: str, key: str) -> bool:
    candidate = DefaultStore(user_id, device_id, str(store), key)
    try:
        candidate.load_account()
    except ValueError:  # the pickle's MAC does not match this key
        return False
    finally:
        candidate.database.close()
    return True


def migrate_from_default_key(store: Path, user_id: str, device_id: str, key: str) -> bool:
    """Re-pickle a store written under nio's default key with ``key``; True if it was."""
    if not database_file(store, user_id, device_id).exists():
        return False
    if _opens_with(store, user_id, device_id, key):
        return False
    if not _opens_with(store, user_id, device_id, NIO_DEFAULT_PICKLE_KEY):
        raise KeyStoreError(
            f"the bot's key store {store} opens with neither {key_file(store)} nor matrix-nio's "
            "default key: restore both from the same backup"
        )
    old = DefaultStore(user_id, device_id, str(store), NIO_DEFAULT_PICKLE_KEY)
    try:
        account = old.load_account()
        sessions = old.load_sessions()
        group_sessions = old.load_inbound_group_sessions()
        old.pickle_key = key
        if account is not None:
            old.save_account(account)
        for sender_key, chain in sessions.items():
            for session in chain:
                old.save_session(sender_key, session)
        for group_session in group_sessions:
            old.save_inbound_group_session(group_session)
    finally:
        old.database.close()
    log.info("the bot's key store was re-encrypted with its own pickle key (%s)", key_file(store))
    return True


def owner_only(store: Path) -> None:
    """Take group and other access away from the store's directory and files."""
    store.chmod(0o700)
    for entry in store.iterdir():
        if entry.is_file() and not entry.is_symlink():
            entry.chmod(0o600)
