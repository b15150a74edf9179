"""The bot's cross-signing keys: made, used to sign Matrix JSON, and sealed for storage.

Three Ed25519 keys (master, self-signing, user-signing) whose key IDs are their public keys, as
the Matrix spec names them. Signing uses ``signedjson`` (canonical JSON, as Synapse checks it).
Sealed, they are AES-GCM encrypted under a key drawn (HKDF) from the bot's secret, the pickle
key of its encryption store (``bots.key_store``): a copy of the sealed file alone gives nothing.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any

import nacl.signing
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from signedjson.key import decode_signing_key_base64, decode_verify_key_bytes
from signedjson.sign import sign_json
from signedjson.types import SigningKey, VerifyKey

from phenomena.errors import PrevnetError

SEAL_INFO = b"prevnet cross-signing keys v1"
SEAL_VERSION = 1


class SealedKeysError(PrevnetError):
    """Sealed keys that cannot be opened with this secret; the message says what to do."""


def _unpadded(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _decoded(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def signing_key(seed: str) -> SigningKey:
    """An Ed25519 signing key from its seed, its version (key ID part) being its public key."""
    public = _unpadded(bytes(nacl.signing.SigningKey(_decoded(seed)).verify_key))
    return decode_signing_key_base64("ed25519", public, seed)


def verify_key(public: str) -> VerifyKey:
    """The verify key of a cross-signing public key, for ``verify_signed_json``."""
    return decode_verify_key_bytes(f"ed25519:{public}", _decoded(public))


def new_seed() -> str:
    """A fresh random Ed25519 seed, unpadded base64."""
    return _unpadded(bytes(nacl.signing.SigningKey.generate()))


def public_key(seed: str) -> str:
    """The public key (unpadded base64) of a seed."""
    return _unpadded(bytes(nacl.signing.SigningKey(_decoded(seed)).verify_key))


def fingerprint(public: str) -> str:
    """A public key as people compare it: groups of four characters (as Element shows it)."""
    return " ".join(public[i : i + 4] for i in range(0, len(public), 4))


@dataclass(frozen=True, repr=False)
class CrossSigningKeys:
    """The private seeds of one identity of the bot account ``user_id``."""

    user_id: str
    master: str
    self_signing: str
    user_signing: str

    def __repr__(self) -> str:  # never the seeds: a log line or a traceback could show it
        return f"CrossSigningKeys({self.user_id!r}, master key {self.master_public})"

    @classmethod
    def generate(cls, user_id: str) -> CrossSigningKeys:
        """A new identity: three fresh keys."""
        return cls(user_id, new_seed(), new_seed(), new_seed())

    @property
    def master_public(self) -> str:
        return public_key(self.master)

    @property
    def self_signing_public(self) -> str:
        return public_key(self.self_signing)

    def sign(self, seed: str, obj: dict[str, Any]) -> dict[str, Any]:
        """``obj`` with this user's signature by ``seed`` added (``unsigned`` left out)."""
        signed: dict[str, Any] = sign_json(dict(obj), self.user_id, signing_key(seed))
        return signed

    def public_key_object(self, seed: str, usage: str) -> dict[str, Any]:
        """The cross-signing key object the homeserver publishes (``master_key`` and the rest)."""
        public = public_key(seed)
        return {"user_id": self.user_id, "usage": [usage], "keys": {f"ed25519:{public}": public}}

    def upload_body(self) -> dict[str, Any]:
        """The body of ``/keys/device_signing/upload``: the master key signs the other two."""
        return {
            "master_key": self.public_key_object(self.master, "master"),
            "self_signing_key": self.sign(
                self.master, self.public_key_object(self.self_signing, "self_signing")
            ),
            "user_signing_key": self.sign(
                self.master, self.public_key_object(self.user_signing, "user_signing")
            ),
        }

    def sign_device(self, device_keys: dict[str, Any]) -> dict[str, Any]:
        """A device's published keys with the self-signing key's signature added."""
        return self.sign(self.self_signing, device_keys)

    def _secret_json(self) -> bytes:
        fields = {
            "user_id": self.user_id,
            "master": self.master,
            "self_signing": self.self_signing,
            "user_signing": self.user_signing,
        }
        return json.dumps(fields).encode("utf-8")


def _seal_key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SEAL_INFO).derive(
        secret.encode("utf-8")
    )


def seal(keys: CrossSigningKeys, secret: str) -> dict[str, Any]:
    """The keys encrypted under ``secret``, bound to the account (its ID is the AAD)."""
    nonce = os.urandom(12)
    box = AESGCM(_seal_key(secret)).encrypt(nonce, keys._secret_json(), keys.user_id.encode())
    return {
        "version": SEAL_VERSION,
        "user_id": keys.user_id,
        "master_key": keys.master_public,  # public: which identity this is, without opening it
        "nonce": _unpadded(nonce),
        "ciphertext": _unpadded(box),
    }


def unseal(sealed: dict[str, Any], secret: str, where: str) -> CrossSigningKeys:
    """Open sealed keys; ``where`` names them in the error when ``secret`` is not theirs."""
    try:
        user_id = str(sealed["user_id"])
        nonce = _decoded(str(sealed["nonce"]))
        box = _decoded(str(sealed["ciphertext"]))
        if len(nonce) != 12:
            raise ValueError(f"a nonce of {len(nonce)} bytes")
    except (KeyError, TypeError, ValueError) as exc:
        raise SealedKeysError(
            f"{where} is not a prevnet cross-signing key file ({exc}): restore it from a backup"
        ) from None
    if sealed.get("version") != SEAL_VERSION:
        raise SealedKeysError(f"{where} has version {sealed.get('version')!r}: upgrade prevnet")
    try:
        plain = AESGCM(_seal_key(secret)).decrypt(nonce, box, user_id.encode())
    except InvalidTag:
        raise SealedKeysError(
            f"{where} cannot be decrypted with this bot's secret (bot-store.key): it was sealed "
            "under another one. Restore the bot-store.key it was made with (for a second "
            "instance: copy the first instance's data/bot-store.key before its first start), "
            "or replace the identity with `prevnet bot keys --rotate`"
        ) from None
    fields = json.loads(plain)
    return CrossSigningKeys(
        fields["user_id"], fields["master"], fields["self_signing"], fields["user_signing"]
    )
