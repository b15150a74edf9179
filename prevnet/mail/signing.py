"""Signed tokens for the addresses and links in bulletin e-mails, so a member cannot forge one.

Each token is an HMAC-SHA256 over (alert, member) under a key derived for one purpose only, so
a reply token never opens an acknowledge link and an acknowledge token never unsubscribes.
Comparisons are constant time. Retired secrets may still verify (key rotation); new tokens are
always made with the current secret. A reply address also carries its last valid day (days since
1970, inside the MAC): ``r-<alert>-<day>-<token>`` is at most 52 characters, within the 64 of
an address's local part.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

MIN_SECRET_BYTES = 32
_MAC_BYTES = 20  # 160 bits: 32 base32 characters, short enough for an address's local part
_REPLY_LOCAL = re.compile(r"^r-([0-9]{1,12})-([0-9]{1,6})-([a-z2-7]{32})$")
_EPOCH = date(1970, 1, 1)


class Purpose(enum.Enum):
    """What a token may be used for; a token made for one purpose fails for every other."""

    REPLY = "reply"
    ACKNOWLEDGE = "acknowledge"
    UNSUBSCRIBE = "unsubscribe"
    MESSAGE_ID = "message-id"
    CAPSULE_UNSUBSCRIBE = "capsule-unsubscribe"  # a BIN/PLP coordinator's (not a member's)


@dataclass(frozen=True)
class Signed:
    """The alert and member a valid link token was made for."""

    alert_id: int
    member_id: str


class MailSigner:
    """Makes and checks the tokens; holds the secret and nothing else."""

    def __init__(self, secret: bytes, retired: Sequence[bytes] = ()) -> None:
        for key in (secret, *retired):
            if len(key) < MIN_SECRET_BYTES:
                raise ValueError(
                    f"the e-mail signing secret must have at least {MIN_SECRET_BYTES} bytes; "
                    "make one with: python -c 'import secrets; print(secrets.token_hex(32))'"
                )
        self._keys = (secret, *retired)
        # each purpose's key derived once, not for every token of a mailing to 1,000 members
        self._purpose_keys = {
            (key, purpose): hmac.digest(
                key, b"prevnet mail token\x00" + purpose.value.encode(), "sha256"
            )
            for key in self._keys
            for purpose in Purpose
        }

    def _mac(self, key: bytes, purpose: Purpose, alert_id: int, member_id: str) -> bytes:
        message = f"{alert_id}\x00{member_id}".encode()
        return hmac.digest(self._purpose_keys[key, purpose], message, "sha256")[:_MAC_BYTES]

    def mac(self, purpose: Purpose, alert_id: int, member_id: str) -> str:
        """The token for ``purpose`` on (alert, member): 32 lower-case base32 characters."""
        raw = self._mac(self._keys[0], purpose, alert_id, member_id)
        return base64.b32encode(raw).decode().lower()

    def check(self, purpose: Purpose, alert_id: int, member_id: str, token: str) -> bool:
        """Whether ``token`` was made for exactly this purpose, alert and member."""
        try:
            given = base64.b32decode(token.upper().encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            return False
        ok = False
        for key in self._keys:  # every key is tried: no early exit tells which one matched
            ok |= hmac.compare_digest(given, self._mac(key, purpose, alert_id, member_id))
        return ok

    def link_token(self, purpose: Purpose, alert_id: int, member_id: str) -> str:
        """A URL-safe token that carries (alert, member) and its MAC, for a link's path."""
        payload = base64.urlsafe_b64encode(f"{alert_id}\x00{member_id}".encode()).decode()
        return f"{payload.rstrip('=')}.{self.mac(purpose, alert_id, member_id)}"

    def open_link_token(self, purpose: Purpose, token: str) -> Signed | None:
        """The (alert, member) of a valid link token for ``purpose``; None for anything else."""
        payload, _, mac = token.partition(".")
        try:
            text = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        alert, sep, member = text.partition("\x00")
        if not sep or not (alert.isascii() and alert.isdigit()) or len(alert) > 12 or not member:
            return None
        if not self.check(purpose, int(alert), member, mac):
            return None
        return Signed(int(alert), member)

    def reply_address(
        self, alert_id: int, member_id: str, reply_domain: str, last_day: date
    ) -> str:
        """The ``Reply-To`` of one (alert, member), valid up to ``last_day`` included."""
        day = (last_day - _EPOCH).days
        token = self.mac(Purpose.REPLY, alert_id, f"{member_id}\x00{day}")
        return f"r-{alert_id}-{day}-{token}@{reply_domain}"

    def check_reply(self, address: ReplyAddress, member_id: str, today: date) -> bool:
        """Whether ``address`` was made for this member and alert and is not past its day."""
        made_for = self.check(
            Purpose.REPLY, address.alert_id, f"{member_id}\x00{address.day}", address.token
        )
        return made_for and (today - _EPOCH).days <= address.day


@dataclass(frozen=True)
class ReplyAddress:
    """What a reply address says before it is checked against the sender."""

    alert_id: int
    day: int  # the last day it is valid, in days since 1970
    token: str


def parse_reply_address(address: str, reply_domain: str) -> ReplyAddress | None:
    """Read ``r-<alert>-<day>-<token>@<reply domain>``; None for any other address or domain."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at or domain.lower() != reply_domain.lower():
        return None
    match = _REPLY_LOCAL.match(local.lower())
    if not match:
        return None
    return ReplyAddress(int(match.group(1)), int(match.group(2)), match.group(3))
