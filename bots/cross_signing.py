"""Cross-signing for the bot, so Element shows its bulletins as sent by a device its owner trusts.

matrix-nio has no cross-signing: this module adds it beside nio, on nio's client (its HTTP
session, access token and the device keys it uploaded) with keys from ``bots.signing_keys``.

Where the private keys live, and how a second instance gets them:

- In the bot's key store directory, ``bot-store/cross-signing.keys``, sealed (AES-GCM) under a
  key drawn from the store's pickle key ``bot-store.key``, owner-only like the rest of the store.
- A sealed copy also sits in the bot account's own account data on the homeserver
  (``org.prevnet.cross_signing``, readable only by the bot's devices). A scale-out instance, a
  device of its own with its own data directory, finds it there at its first start and signs its
  device with the same self-signing key, provided it holds the same ``bot-store.key`` (copy the
  first instance's file into the second's data directory before its first start). The homeserver
  alone (or a copy of its database) thus cannot sign a device as the bot's: that needs the
  bot's secret, which never leaves prevnet's data directories. prevnet's database was the other
  candidate; it would have needed a new table (a migration) and holds no secret of its own.
- Rotation (``prevnet bot keys --rotate``) uploads a new identity, re-signs every device of the
  bot that the old self-signing key had signed, and writes the new sealed copy with the device
  that asked for it; that device's running bot adopts it (at once through its sync, or at its
  next start) and says so in #admin.

Errors: ``CrossSigningError`` (a ``PrevnetError``), whose message says what to do;
``bots.signing_keys.SealedKeysError`` for a key file sealed under another secret.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import nio

from bots import key_store
from bots.cross_signing_api import ACCOUNT_DATA_TYPE, CrossSigningError, Homeserver, OwnKeys
from bots.signing_keys import CrossSigningKeys, SealedKeysError, fingerprint, seal, unseal
from phenomena.errors import PrevnetError

__all__ = ["ACCOUNT_DATA_TYPE", "BotIdentity", "CrossSigningError", "ensure_cross_signed", "rotate"]

log = logging.getLogger(__name__)

KEY_FILE = "cross-signing.keys"


def key_file(store: Path) -> Path:
    """Where the sealed private keys are kept: in the key store directory."""
    return store / KEY_FILE


def load_keys(store: Path) -> CrossSigningKeys | None:
    """The stored keys, opened with the store's pickle key; None if none are stored."""
    path = key_file(store)
    if not path.exists():
        return None
    try:
        sealed = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SealedKeysError(
            f"{path} is damaged ({exc}): restore it from a backup (or, with no backup, replace "
            "the identity with `prevnet bot keys --rotate`)"
        ) from None
    return unseal(sealed, key_store.pickle_key(store), str(path))


def save_keys(store: Path, keys: CrossSigningKeys) -> None:
    """Seal the keys into the key store (owner-only, replaced in one step)."""
    path = key_file(store)
    partial = path.with_name(path.name + ".new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(seal(keys, key_store.pickle_key(store)), handle)
    os.replace(partial, path)


@dataclass(frozen=True)
class CrossSigningStatus:
    """Where the bot's cross-signing stands for one device, and what this run changed."""

    master_key: str
    device_id: str
    device_signed: bool
    uploaded: bool = False  # a new identity was uploaded now
    signed_now: bool = False  # the device was signed now
    adopted: bool = False  # a newer identity (rotated elsewhere) was taken over
    rotated_by: str | None = None  # the device that asked for that rotation

    def summary(self) -> str:
        state = "signed" if self.device_signed else "NOT signed"
        news = [
            text
            for done, text in (
                (self.uploaded, "identity uploaded now"),
                (self.adopted, f"identity rotated by {self.rotated_by} taken over"),
                (self.signed_now, "device signed now"),
            )
            if done
        ]
        return (
            f"master key {fingerprint(self.master_key)}; device {self.device_id} {state} by "
            f"its self-signing key{'; ' if news else ''}{', '.join(news)}"
        )


async def _adopt_shared(
    server: Homeserver, store: Path, published: str
) -> tuple[CrossSigningKeys | None, str | None]:
    """The account data copy, if it holds the identity the homeserver publishes."""
    shared = await server.shared_copy()
    if shared is None or shared.get("master_key") != published:
        return None, None
    where = f"the sealed copy in the bot's account data ({ACCOUNT_DATA_TYPE})"
    keys = unseal(shared, key_store.pickle_key(store), where)
    if keys.master_public != published:  # its label is not sealed: believe only what is
        raise CrossSigningError(
            f"{where} is labelled {fingerprint(published)} but holds the keys of "
            f"{fingerprint(keys.master_public)}; {key_file(store)} is left as it was: run "
            "`prevnet bot keys --rotate`"
        )
    save_keys(store, keys)
    rotated_by = shared.get("rotated_by")
    return keys, str(rotated_by) if rotated_by else None


async def ensure_cross_signed(
    client: nio.AsyncClient, store: Path, password: str | None
) -> CrossSigningStatus:
    """Make sure the bot has an identity on the homeserver and this device is signed by it.

    Idempotent: with the same master key on the homeserver nothing is uploaded, and a device
    already signed is not signed again. Needs this device's keys uploaded (nio's
    ``keys_upload``) when the device is to be signed.
    """
    server = Homeserver(client)
    device_id = str(client.device_id)
    published = await server.own_keys()
    keys = load_keys(store)
    uploaded = adopted = False
    rotated_by: str | None = None
    if published.master is not None and (keys is None or keys.master_public != published.master):
        found, rotated_by = await _adopt_shared(server, store, published.master)
        if found is not None:
            keys, adopted = found, keys is not None
        elif keys is None:
            raise CrossSigningError(
                f"the homeserver has a master key {fingerprint(published.master)} for "
                f"{server.user_id} whose private keys this instance does not hold: copy the "
                "first instance's data/bot-store.key into a new data directory for this "
                "instance and start it there on a new device (a new login), or replace the "
                "identity with `prevnet bot keys --rotate`"
            )
        else:
            raise CrossSigningError(
                f"the homeserver's master key {fingerprint(published.master)} is not the one in "
                f"{key_file(store)} ({fingerprint(keys.master_public)}): someone replaced the "
                "bot's identity. If it was not you, change the bot's password, then run "
                "`prevnet bot keys --rotate`"
            )
    if keys is None:
        keys = CrossSigningKeys.generate(server.user_id)
        save_keys(store, keys)  # before the upload: an identity uploaded is never lost
    if published.master is None:
        await server.upload(keys, password)
        await server.put_shared_copy(seal(keys, key_store.pickle_key(store)))
        published = await server.own_keys()
        uploaded = True
    signed_now = False
    if not published.signed_by(device_id, keys.self_signing_public):
        device = published.devices.get(device_id)
        if device is None:
            raise CrossSigningError(
                f"device {device_id} has published no keys yet: start the bot (it uploads them)"
            )
        await server.sign_devices(keys, [device])
        signed_now = True
    return CrossSigningStatus(
        keys.master_public, device_id, True, uploaded, signed_now, adopted, rotated_by
    )


async def rotate(client: nio.AsyncClient, store: Path, password: str | None) -> CrossSigningStatus:
    """Replace the bot's identity and re-sign the devices the old one had signed.

    The new keys go to the homeserver's account data copy with the asking device's ID; that
    device's bot keeps them in its store when it adopts them (and says so in #admin).
    """
    server = Homeserver(client)
    device_id = str(client.device_id)
    before = await server.own_keys()
    keys = CrossSigningKeys.generate(server.user_id)
    await server.upload(keys, password, replace=True)
    try:  # at once: the new private keys must not exist only in this process
        await server.put_shared_copy(
            {**seal(keys, key_store.pickle_key(store)), "rotated_by": device_id}
        )
    except Exception as exc:
        save_keys(store, keys)
        raise CrossSigningError(
            f"the new identity is uploaded but its sealed copy could not be stored ({exc}); "
            f"its keys are in {key_file(store)}: restart `prevnet up` and tell #admin yourself"
        ) from None
    ours = [
        device
        for name, device in before.devices.items()
        if name == device_id or before.signed_by(name)
    ]
    if ours:
        await server.sign_devices(keys, ours)
    after = await server.own_keys()
    return CrossSigningStatus(
        keys.master_public,
        device_id,
        after.signed_by(device_id),
        uploaded=True,
        signed_now=bool(ours),
        rotated_by=device_id,
    )


async def status(client: nio.AsyncClient) -> tuple[OwnKeys, str]:
    """What the homeserver publishes for the bot, and this client's device ID."""
    return await Homeserver(client).own_keys(), str(client.device_id)


Announce = Callable[[str], Awaitable[None]]


def rotation_notice(keys_status: CrossSigningStatus) -> str:
    """What #admin is told when the bot's identity was replaced."""
    return (
        "The bot's cross-signing identity was replaced (prevnet bot keys --rotate). New master "
        f"key: {fingerprint(keys_status.master_key)}. Its devices are signed by the new key; "
        "if you had verified the bot, verify it again and check this key."
    )


class BotIdentity:
    """Keeps one running bot's device cross-signed, and adopts a rotation made elsewhere."""

    def __init__(
        self, client: nio.AsyncClient, store: Path, password: str | None, announce: Announce
    ) -> None:
        self.client = client
        self.store = store
        self.password = password
        self.announce = announce
        self.status: CrossSigningStatus | None = None

    async def start(self) -> CrossSigningStatus:
        """Sign this device (making the identity at first start); watch for rotations, even
        when this start fails: the remedy it logs is a rotation, which the bot then takes over."""
        self.client.add_global_account_data_callback(
            self._on_account_data, (nio.UnknownAccountDataEvent,)
        )
        self.status = await self._ensure()
        return self.status

    async def _ensure(self) -> CrossSigningStatus:
        if self.client.should_upload_keys:  # a new device: its keys first, then its signature
            await self.client.keys_upload()
        found = await ensure_cross_signed(self.client, self.store, self.password)
        log.info("cross-signing: %s", found.summary())
        if found.adopted and found.rotated_by == found.device_id:
            await self.announce(rotation_notice(found))
        return found

    async def _on_account_data(self, event: nio.UnknownAccountDataEvent) -> None:
        """A new sealed copy (a rotation): take it over. Runs inside nio's sync loop, where any
        exception would end the sync, so whatever goes wrong is logged; the next start retries."""
        if event.type != ACCOUNT_DATA_TYPE:
            return
        if self.status is not None and event.content.get("master_key") == self.status.master_key:
            return
        try:
            self.status = await self._ensure()
        except PrevnetError as exc:
            log.error("the bot's new cross-signing identity could not be taken over: %s", exc)
        except Exception:
            log.exception("the bot's new cross-signing identity could not be taken over")
