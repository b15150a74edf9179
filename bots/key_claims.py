"""One-time keys a member's device published that no Olm session can be made with, set aside.

matrix-nio makes an Olm session from each claimed one-time key without checking it: a key that
is no Curve25519 key (any member can upload one, signed by their own device) raised in the
middle of its claim handling. The bot's send to that member's rooms then failed every time (and
left nio waiting on a key share that never ends), and the late joiners' pass stopped there. The
bot drops such keys before nio reads the claim: that device then counts as one with no key to
claim, which nio and ``bots.late_joiners`` already handle (it gets no room key until it has one).
"""

from __future__ import annotations

import logging
from typing import Any

import nio
import vodozemac

log = logging.getLogger(__name__)


def _curve25519(text: object) -> bool:
    if not isinstance(text, str):
        return False
    try:
        vodozemac.Curve25519PublicKey.from_base64(text)
    except Exception:  # vodozemac's KeyException: not a Curve25519 key
        return False
    return True


def drop_unusable_keys(response: nio.KeysClaimResponse, devices: Any) -> None:
    """Remove, in place, every claimed key nio could not start a session with (logged);
    ``devices`` is nio's device store (a device's identity key must be a key too)."""
    for user_id, by_device in list(response.one_time_keys.items()):
        if not isinstance(by_device, dict):
            response.one_time_keys.pop(user_id)
            continue
        for device_id, keys in list(by_device.items()):
            known = devices[user_id].get(device_id)
            usable = (
                isinstance(keys, dict)
                and len(keys) > 0
                and all(isinstance(k, dict) and _curve25519(k.get("key")) for k in keys.values())
                and (known is None or _curve25519(known.curve25519))
            )
            if not usable:
                by_device.pop(device_id)
                log.warning(
                    "the one-time key claimed for %s's device %s is no Curve25519 key: that "
                    "device gets no room key until it publishes a proper one",
                    user_id,
                    device_id,
                )
