"""A homeserver's error answer to a key claim is not the device's fault: it must not count
towards giving the device up for good, while a claim answered without a usable key does."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import nio

from bots.late_joiners import LateJoiners
from bots.room_key_history import RoomKeyHistory

USER = "@late:prevnet.test"


class ClaimingClient:
    """Just what ``_olm_sessions`` uses of nio's client: no Olm session, and one claim answer."""

    def __init__(self, answer: Any) -> None:
        self.olm = SimpleNamespace(session_store=SimpleNamespace(get=lambda key: None))
        self._answer = answer

    async def keys_claim(self, users: dict[str, list[str]]) -> Any:
        return self._answer


async def _attempts_after_claims(tmp_path: Path, answer: Any, claims: int) -> int:
    history = RoomKeyHistory(tmp_path / "keys.db", "pickle-key")
    joiners = LateJoiners(ClaimingClient(answer), history, _nobody, _no_bulletins)
    device = SimpleNamespace(id="PHONE", curve25519="curve")
    try:
        for _ in range(claims):
            await joiners._olm_sessions(USER, [device])
        return history.claim_attempts(USER, "PHONE")
    finally:
        history.close()


async def _nobody(user_id: str) -> None:
    return None


async def _no_bulletins() -> list[str]:
    return []


async def test_a_homeserver_error_on_the_claim_does_not_count_against_the_device(
    tmp_path: Path,
) -> None:
    refused = nio.KeysClaimError("502 Bad Gateway")
    assert await _attempts_after_claims(tmp_path, refused, claims=5) == 0


async def test_a_claim_answered_without_a_usable_key_counts(tmp_path: Path) -> None:
    empty = nio.KeysClaimResponse({}, {USER: ["PHONE"]})
    assert await _attempts_after_claims(tmp_path, empty, claims=2) == 2
