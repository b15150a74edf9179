"""The room directory's records: which room prevnet created for which key.

Keys: the registry's rooms (``zone:5324``, ``admin`` ...), a member's direct chat with the bot
(``dm:@jean:server``) and per-alert rooms (``alert:12``).
"""

from __future__ import annotations

from dataclasses import dataclass

DIRECT = "dm:"
ALERT = "alert:"

REGISTRY_KIND = "registry"
DIRECT_KIND = "dm"
ALERT_KIND = "alert"


def direct_key(matrix_id: str) -> str:
    """The key of a member's direct chat with the bot."""
    return DIRECT + matrix_id


def kind_of(key: str) -> str:
    """Which kind of room a key names."""
    if key.startswith(DIRECT):
        return DIRECT_KIND
    if key.startswith(ALERT):
        return ALERT_KIND
    return REGISTRY_KIND


@dataclass(frozen=True)
class RoomRecord:
    """A room prevnet created (or, for a direct chat, accepted) and recorded under ``key``."""

    key: str
    room_id: str
    complete: bool = True  # False until a new room's first members are in

    @property
    def kind(self) -> str:
        return kind_of(self.key)
