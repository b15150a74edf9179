"""Rooms as the bot makes them and keeps them: creation, the state prevnet manages, its repair.

Every room is created by the bot in room version 12, invite-only, guests forbidden, history
"shared" and (spaces excepted) end-to-end encrypted. Its creation content carries the key it
was made for (``MARKER``), which nobody can change afterwards: it tells prevnet's own rooms from
others that carry one of its aliases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import nio

from bots.synapse_admin import MatrixAdminError, SynapseAdmin
from phenomena.rooms import POWER_ADMIN

ROOM_VERSION = "12"
"""Rooms are created in version 12, where the creator (the bot) holds unlimited power and must
not be listed among the power-level users."""

MARKER = "org.prevnet.room"
"""Key of the creation content that names the room key a room was made for."""

ENCRYPTION = {"algorithm": "m.megolm.v1.aes-sha2"}

# (event type, content field, wanted value, what a person calls it)
CLOSED_SETTINGS: tuple[tuple[str, str, str, str], ...] = (
    ("m.room.join_rules", "join_rule", "invite", "join rules"),
    ("m.room.history_visibility", "history_visibility", "shared", "history visibility"),
    ("m.room.guest_access", "guest_access", "forbidden", "guest access"),
)


def check(response: Any, what: str) -> Any:
    """A matrix-nio response, or the homeserver's refusal as a ``MatrixAdminError``."""
    if isinstance(response, nio.ErrorResponse):
        transport = getattr(response, "transport_response", None)
        raise MatrixAdminError(
            "client",
            what,
            int(getattr(transport, "status", 0) or 0),
            {"errcode": response.status_code, "error": response.message},
        )
    return response


def power_levels(users: Mapping[str, int]) -> dict[str, Any]:
    """The power levels of every prevnet room: only the bot and admins change state."""
    return {
        "users": {u: p for u, p in users.items() if p > 0},
        "users_default": 0,
        "events_default": 0,
        "state_default": POWER_ADMIN,
        "invite": POWER_ADMIN,
        "kick": POWER_ADMIN,
        "ban": POWER_ADMIN,
        "redact": 50,
        "events": {
            "m.room.redaction": 0,
            "m.reaction": 0,
            "m.room.power_levels": POWER_ADMIN,
            "m.room.encryption": POWER_ADMIN,
            "m.room.history_visibility": POWER_ADMIN,
            "m.room.tombstone": POWER_ADMIN,
            "m.room.server_acl": POWER_ADMIN,
            "m.space.child": POWER_ADMIN,
            "m.space.parent": POWER_ADMIN,
        },
        "notifications": {"room": 50},
    }


@dataclass(frozen=True)
class RoomState:
    """A room's current state as the admin API shows it (also for rooms the bot is not in)."""

    events: Mapping[tuple[str, str], Mapping[str, Any]]

    def content(self, event_type: str, state_key: str = "") -> Mapping[str, Any] | None:
        event = self.events.get((event_type, state_key))
        return None if event is None else event.get("content", {})

    @property
    def members(self) -> dict[str, str]:
        """Who is in the room or invited to it (or knocking): user ID to membership."""
        found: dict[str, str] = {}
        for (event_type, user), event in self.events.items():
            membership = event.get("content", {}).get("membership")
            if event_type == "m.room.member" and membership in ("join", "invite", "knock"):
                found[user] = membership
        return found

    @property
    def creator(self) -> str | None:
        create = self.events.get(("m.room.create", ""))
        return None if create is None else str(create.get("sender"))

    @property
    def marker(self) -> str | None:
        """The room key prevnet created the room for, if prevnet created it."""
        value = (self.content("m.room.create") or {}).get(MARKER)
        return None if value is None else str(value)

    @property
    def encrypted(self) -> bool:
        return self.content("m.room.encryption") is not None


async def room_state(admin: SynapseAdmin, room_id: str) -> RoomState:
    """Read a room's state through the admin API."""
    answer = await admin.request("GET", f"/_synapse/admin/v1/rooms/{quote(room_id, safe='')}/state")
    events = {
        (str(e["type"]), str(e.get("state_key", ""))): e for e in (answer or {}).get("state", [])
    }
    return RoomState(events)


async def create_room(
    admin: SynapseAdmin,
    key: str,
    *,
    name: str | None = None,
    topic: str | None = None,
    alias_localpart: str | None = None,
    space: bool = False,
    invite: Sequence[str] = (),
    is_direct: bool = False,
) -> str:
    """Create a closed room as the bot (whose token ``admin`` holds), marked with its key."""
    initial_state: list[dict[str, Any]] = [
        {"type": event_type, "state_key": "", "content": {field: value}}
        for event_type, field, value, _ in CLOSED_SETTINGS
    ]
    if not space:
        initial_state.append({"type": "m.room.encryption", "state_key": "", "content": ENCRYPTION})
    creation: dict[str, Any] = {"m.federate": False, MARKER: key}
    if space:
        creation["type"] = "m.space"
    body: dict[str, Any] = {
        "visibility": "private",
        "preset": "private_chat",
        "room_version": ROOM_VERSION,
        "creation_content": creation,
        "initial_state": initial_state,
        "power_level_content_override": power_levels({}),
        "invite": list(invite),
        "is_direct": is_direct,
    }
    if name is not None:
        body["name"] = name
    if topic is not None:
        body["topic"] = topic
    if alias_localpart is not None:
        body["room_alias_name"] = alias_localpart
    answer = await admin.request("POST", "/_matrix/client/v3/createRoom", body)
    assert answer is not None
    return str(answer["room_id"])


async def repair_settings(
    client: nio.AsyncClient,
    room_id: str,
    state: RoomState,
    *,
    encrypted: bool,
    name: str | None = None,
    topic: str | None = None,
) -> list[str]:
    """Put back the closed settings (and the name and topic, when given) that drifted.

    Returns what was repaired, e.g. ``["join rules", "name"]``.
    """
    wanted: list[tuple[str, dict[str, Any], str]] = []
    for event_type, field, value, label in CLOSED_SETTINGS:
        if (state.content(event_type) or {}).get(field) != value:
            wanted.append((event_type, {field: value}, label))
    if encrypted and not state.encrypted:
        wanted.append(("m.room.encryption", dict(ENCRYPTION), "encryption"))
    if name is not None and (state.content("m.room.name") or {}).get("name") != name:
        wanted.append(("m.room.name", {"name": name}, "name"))
    if topic is not None and (state.content("m.room.topic") or {}).get("topic") != topic:
        wanted.append(("m.room.topic", {"topic": topic}, "topic"))
    for event_type, content, label in wanted:
        check(await client.room_put_state(room_id, event_type, content), f"{label} of {room_id}")
    return [label for _, _, label in wanted]


async def link(client: nio.AsyncClient, server_name: str, space_id: str, room_id: str) -> None:
    """Put a room in its space (both directions)."""
    via = {"via": [server_name]}
    check(await client.room_put_state(space_id, "m.space.child", via, room_id), "link")
    check(
        await client.room_put_state(
            room_id, "m.space.parent", {**via, "canonical": True}, space_id
        ),
        "link parent",
    )


async def set_power(
    client: nio.AsyncClient,
    bot: str,
    room_id: str,
    current: Mapping[str, Any] | None,
    levels: Mapping[str, int],
    *,
    exact: bool = False,
) -> bool:
    """Give users their power levels; True if the room's power levels were changed.

    ``exact``: nobody else holds any, and every other setting prevnet manages (defaults, the
    levels of kicks, bans and each event type) is put back as ``power_levels`` sets it.
    """
    if current is None:
        state = await client.room_get_state_event(room_id, "m.room.power_levels")
        current = dict(getattr(state, "content", {}) or {})
    content = dict(current)
    users: dict[str, int] = {} if exact else dict(content.get("users", {}))
    for user, level in levels.items():
        if level > 0:
            users[user] = level
        else:
            users.pop(user, None)
    users.pop(bot, None)  # the creator's power is not listed in room version 12
    wanted = power_levels(users) if exact else {"users": users}
    if all(content.get(key) == value for key, value in wanted.items()):
        return False
    content.update(wanted)
    check(await client.room_put_state(room_id, "m.room.power_levels", content), "power levels")
    return True
