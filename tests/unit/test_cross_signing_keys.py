"""The bot's cross-signing keys sign as Synapse checks it; sealed, they read as nothing."""

from __future__ import annotations

import json

import pytest
from canonicaljson import encode_canonical_json
from signedjson.sign import SignatureVerifyException, verify_signed_json

from bots.signing_keys import CrossSigningKeys, SealedKeysError, seal, unseal, verify_key

USER = "@prevnet:prevnet.test"
DEVICE_KEYS = {
    "user_id": USER,
    "device_id": "BOTDEVICE",
    "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
    "keys": {"curve25519:BOTDEVICE": "c" * 43, "ed25519:BOTDEVICE": "e" * 43},
    "signatures": {USER: {"ed25519:BOTDEVICE": "s" * 86}},
    "unsigned": {"device_display_name": "prevnet"},
}


def test_a_signed_device_verifies_with_an_independent_verifier_and_not_with_another_key() -> None:
    keys = CrossSigningKeys.generate(USER)
    signed = keys.sign_device(DEVICE_KEYS)
    key_id = f"ed25519:{keys.self_signing_public}"
    assert set(signed["signatures"][USER]) == {"ed25519:BOTDEVICE", key_id}  # the device's kept
    verify_signed_json(signed, USER, verify_key(keys.self_signing_public))
    other = CrossSigningKeys.generate(USER)
    with pytest.raises(SignatureVerifyException):
        verify_signed_json(signed, USER, verify_key(other.self_signing_public))
    tampered = {**signed, "keys": {**signed["keys"], "ed25519:BOTDEVICE": "f" * 43}}
    with pytest.raises(SignatureVerifyException):
        verify_signed_json(tampered, USER, verify_key(keys.self_signing_public))


def test_the_signature_covers_canonical_json_whatever_the_key_order() -> None:
    keys = CrossSigningKeys.generate(USER)
    reordered = dict(reversed(list(DEVICE_KEYS.items())))
    assert encode_canonical_json(reordered) == encode_canonical_json(DEVICE_KEYS)
    one = keys.sign_device(DEVICE_KEYS)["signatures"][USER]
    two = keys.sign_device(reordered)["signatures"][USER]
    assert one == two  # Ed25519 is deterministic: same canonical bytes, same signature


def test_the_upload_body_has_the_key_ids_the_spec_asks_and_the_master_signs_the_others() -> None:
    keys = CrossSigningKeys.generate(USER)
    body = keys.upload_body()
    master = keys.master_public
    assert body["master_key"]["keys"] == {f"ed25519:{master}": master}
    assert body["master_key"]["usage"] == ["master"]
    for name, usage in (("self_signing_key", "self_signing"), ("user_signing_key", "user_signing")):
        assert body[name]["usage"] == [usage]
        verify_signed_json(body[name], USER, verify_key(master))
    assert len({keys.master, keys.self_signing, keys.user_signing}) == 3


def test_sealed_keys_open_only_with_their_secret_and_hold_no_seed_in_clear() -> None:
    keys = CrossSigningKeys.generate(USER)
    sealed = seal(keys, "the-pickle-key")
    text = json.dumps(sealed)
    for seed in (keys.master, keys.self_signing, keys.user_signing):
        assert seed not in text
    assert unseal(sealed, "the-pickle-key", "k") == keys
    with pytest.raises(SealedKeysError, match=r"bot-store\.key"):
        unseal(sealed, "another-key", "k")
    moved = {**sealed, "user_id": "@other:prevnet.test"}  # bound to its account
    with pytest.raises(SealedKeysError):
        unseal(moved, "the-pickle-key", "k")


def test_the_keys_printed_or_logged_show_no_seed() -> None:
    """A ``%r`` in a log line, a traceback's locals or a debugger must not show a private key."""
    keys = CrossSigningKeys.generate(USER)
    for shown in (repr(keys), str(keys), f"{keys}", f"{keys!r}"):
        for seed in (keys.master, keys.self_signing, keys.user_signing):
            assert seed not in shown
    assert keys.master_public in repr(keys)  # which identity it is still shows
