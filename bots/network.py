"""The homeserver follows the registry: rooms, accounts, memberships and power levels.

Every operation compares what is with what should be and changes only the difference, so it is
idempotent and safe to interrupt: running it again finishes the job. Room changes go through the
bot (matrix-nio); account changes through the Synapse admin API.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import nio

from bots.synapse_admin import MatrixAdminError, SynapseAdmin
from phenomena.partners import Member, MemberStatus, Organisation
from phenomena.rooms import (
    POWER_ADMIN,
    RoomKind,
    RoomSpec,
    member_rooms,
    power_level,
    room_catalogue,
)
from phenomena.territory import TerritoryRegistry

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass
class ReconcileReport:
    """What a reconciliation changed and what it found that a person should know."""

    rooms_created: list[str] = field(default_factory=list)
    accounts_created: list[str] = field(default_factory=list)
    accounts_fixed: list[str] = field(default_factory=list)
    joined: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    power_levels_set: list[str] = field(default_factory=list)
    unknown_accounts: list[str] = field(default_factory=list)

    @property
    def intruders(self) -> list[tuple[str, str]]:
        """People found in rooms the registry does not give them (invited by hand, say)."""
        return self.removed

    def summary(self) -> str:
        """One paragraph for the admin room."""
        parts = [
            f"{len(self.rooms_created)} room(s) created",
            f"{len(self.accounts_created)} account(s) created",
            f"{len(self.accounts_fixed)} account(s) corrected",
            f"{len(self.joined)} join(s)",
            f"{len(self.removed)} removal(s)",
            f"{len(self.power_levels_set)} power level change(s)",
        ]
        lines = ["Reconciliation: " + ", ".join(parts) + "."]
        lines += [
            f"- removed {who} from {room}: the registry does not give it this room"
            for who, room in self.removed
        ]
        lines += [
            f"- account {who} is not in the registry (left as it is)"
            for who in self.unknown_accounts
        ]
        return "\n".join(lines)

    @property
    def changed_anything(self) -> bool:
        """Whether the homeserver was changed."""
        return bool(
            self.rooms_created
            or self.accounts_created
            or self.accounts_fixed
            or self.joined
            or self.removed
            or self.power_levels_set
        )


ROOM_VERSION = "12"
"""Rooms are created in version 12, where the creator (the bot) holds unlimited power and must
not be listed among the power-level users."""


def _check(response: Any, what: str) -> Any:
    if isinstance(response, nio.ErrorResponse):
        transport = getattr(response, "transport_response", None)
        raise MatrixAdminError(
            "client",
            what,
            int(getattr(transport, "status", 0) or 0),
            {"errcode": response.status_code, "error": response.message},
        )
    return response


def _power_levels(users: Mapping[str, int]) -> dict[str, Any]:
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


class MatrixNetwork:
    """Applies the registry to the homeserver, as the bot account (a server admin)."""

    def __init__(
        self,
        client: nio.AsyncClient,
        admin: SynapseAdmin,
        server_name: str,
        territories: TerritoryRegistry,
        *,
        namespace: str = "",
    ) -> None:
        self.client = client
        self.admin = admin
        self.server_name = server_name
        self.territories = territories
        self.namespace = namespace  # an alias prefix, so that tests can share one homeserver
        self._room_ids: dict[str, str] = {}

    @property
    def bot(self) -> str:
        """The bot's Matrix ID."""
        return str(self.client.user_id)

    def alias(self, spec_or_localpart: RoomSpec | str) -> str:
        """The full alias of a room, e.g. ``#zone-5324:prevnet.example``."""
        local = (
            spec_or_localpart.alias_localpart
            if isinstance(spec_or_localpart, RoomSpec)
            else spec_or_localpart
        )
        return f"#{self.namespace}{local}:{self.server_name}"

    # -- rooms --------------------------------------------------------------------------------

    def managed_keys(self) -> list[str]:
        """The keys of the managed rooms this process has seen."""
        return list(self._room_ids)

    async def key_of_room(self, room_id: str) -> str | None:
        """The key of a managed room from its ID (None for rooms prevnet does not manage)."""
        for key, known in self._room_ids.items():
            if known == room_id:
                return key
        return None

    async def room_id(self, key: str) -> str | None:
        """The room ID of a managed room, if it exists (cached)."""
        if key in self._room_ids:
            return self._room_ids[key]
        local = key.replace(":", "-")
        found = await self.admin.resolve_alias(self.alias(local))
        if found:
            self._room_ids[key] = found
        return found

    async def ensure_rooms(
        self, specs: Mapping[str, RoomSpec], report: ReconcileReport | None = None
    ) -> dict[str, str]:
        """Create the rooms that do not exist yet (spaces first) and link them to their space."""
        ordered = sorted(specs.values(), key=lambda s: (s.kind is not RoomKind.SPACE, s.key))
        ids: dict[str, str] = {}
        for spec in ordered:
            existing = await self.room_id(spec.key)
            if existing is None:
                try:
                    existing = await self._create(spec)
                except MatrixAdminError as exc:
                    # Another prevnet instance created it a moment ago: use that room.
                    existing = await self.room_id(spec.key)
                    if existing is None or exc.errcode != "M_ROOM_IN_USE":
                        raise
                else:
                    if report is not None:
                        report.rooms_created.append(spec.key)
                    if spec.parent and spec.parent in ids:
                        await self._link(ids[spec.parent], existing)
            ids[spec.key] = existing
        return ids

    async def _create(self, spec: RoomSpec) -> str:
        initial_state: list[dict[str, Any]] = [
            {"type": "m.room.join_rules", "state_key": "", "content": {"join_rule": "invite"}},
            {
                "type": "m.room.guest_access",
                "state_key": "",
                "content": {"guest_access": "forbidden"},
            },
            {
                "type": "m.room.history_visibility",
                "state_key": "",
                "content": {"history_visibility": "shared"},
            },
        ]
        if spec.kind is not RoomKind.SPACE:
            initial_state.append(
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            )
        response = _check(
            await self.client.room_create(
                visibility=nio.RoomVisibility.private,
                alias=self.namespace + spec.alias_localpart,
                name=spec.name,
                topic=spec.topic,
                federate=False,
                initial_state=initial_state,
                power_level_override=_power_levels({}),
                room_version=ROOM_VERSION,
                space=spec.kind is RoomKind.SPACE,
            ),
            f"create {spec.key}",
        )
        room_id = str(response.room_id)
        self._room_ids[spec.key] = room_id
        log.info("created room %s (%s)", spec.key, room_id)
        return room_id

    async def _link(self, space_id: str, room_id: str) -> None:
        via = {"via": [self.server_name]}
        _check(await self.client.room_put_state(space_id, "m.space.child", via, room_id), "link")
        _check(
            await self.client.room_put_state(
                room_id, "m.space.parent", {**via, "canonical": True}, space_id
            ),
            "link parent",
        )

    # -- accounts -----------------------------------------------------------------------------

    async def ensure_account(
        self, member: Member, known: Mapping[str, Any] | None, report: ReconcileReport
    ) -> None:
        """Make the account match the member: exists, active or locked, named right."""
        user_id = member.matrix_id
        account = known if known is not None else await self.admin.get_user(user_id)
        if member.status is MemberStatus.REMOVED:
            if account is not None and not account.get("deactivated"):
                await self.admin.deactivate(user_id)
                report.accounts_fixed.append(user_id)
            return
        if account is None:
            await self.admin.put_user(
                user_id,
                displayname=member.display_name,
                password=secrets.token_urlsafe(18),
                locked=member.status is MemberStatus.SUSPENDED,
            )
            report.accounts_created.append(user_id)
            return
        changes: dict[str, Any] = {}
        if account.get("deactivated"):
            changes.update(deactivated=False, password=secrets.token_urlsafe(18))
        locked = member.status is MemberStatus.SUSPENDED
        if bool(account.get("locked")) != locked:
            changes["locked"] = locked
        if account.get("displayname") != member.display_name:
            changes["displayname"] = member.display_name
        if changes:
            await self.admin.put_user(user_id, **changes)
            report.accounts_fixed.append(user_id)
        if locked:
            await self.admin.logout_everywhere(user_id)

    # -- membership ---------------------------------------------------------------------------

    async def apply_member(
        self,
        member: Member,
        organisations: Mapping[str, Organisation],
        report: ReconcileReport | None = None,
    ) -> ReconcileReport:
        """Bring one member's account, rooms and power levels in line with the registry."""
        report = report or ReconcileReport()
        specs = room_catalogue(organisations.values(), self.territories)
        wanted = member_rooms(member, organisations.get(member.organisation), self.territories)
        ids = await self.ensure_rooms({k: specs[k] for k in wanted if k in specs}, report)
        if member.is_active:  # the account must exist before it can join
            await self.ensure_account(member, None, report)
        managed: dict[str, str] = {}
        for key in specs:
            room_id = await self.room_id(key)
            if room_id is not None:
                managed[room_id] = key
        current = set(await self.admin.joined_rooms(member.matrix_id))
        for key in sorted(wanted):
            if ids[key] not in current:
                await self.admin.force_join(member.matrix_id, ids[key])
                report.joined.append((member.matrix_id, key))
        for room_id in sorted(current):
            managed_key = managed.get(room_id)
            if managed_key is not None and managed_key not in wanted:
                reason = (
                    "no longer in your organisation's rooms"
                    if member.is_active
                    else f"membership {member.status.value}"
                )
                await self._remove(room_id, member.matrix_id, reason)
                report.removed.append((member.matrix_id, managed_key))
        if not member.is_active:  # out of the rooms first, then locked out or deactivated
            await self.ensure_account(member, None, report)
            return report
        level = power_level(member)
        for key in sorted(wanted):
            await self._set_power(ids[key], {member.matrix_id: level}, key, report)
        return report

    async def _remove(self, room_id: str, user_id: str, reason: str) -> None:
        _check(await self.client.room_kick(room_id, user_id, reason), f"kick {user_id}")

    async def _set_power(
        self,
        room_id: str,
        levels: Mapping[str, int],
        key: str,
        report: ReconcileReport,
        *,
        exact: bool = False,
    ) -> None:
        state = await self.client.room_get_state_event(room_id, "m.room.power_levels")
        content = dict(getattr(state, "content", {}) or {})
        users: dict[str, int] = dict(content.get("users", {}))
        before = dict(users)
        if exact:
            users = {}
        for user, level in levels.items():
            if level > 0:
                users[user] = level
            else:
                users.pop(user, None)
        users.pop(self.bot, None)  # the creator's power is not listed in room version 12
        if users != before:
            content["users"] = users
            _check(
                await self.client.room_put_state(room_id, "m.room.power_levels", content),
                f"power levels of {key}",
            )
            report.power_levels_set.append(key)

    async def reconcile(
        self,
        members: Iterable[Member],
        organisations: Mapping[str, Organisation],
        progress: Progress | None = None,
    ) -> ReconcileReport:
        """Compare the whole registry with the homeserver and repair every difference.

        Works room by room (one state read each, then only the changes), so it scales with the
        number of rooms plus the number of changes, not rooms times members.
        """
        report = ReconcileReport()
        members = list(members)
        specs = room_catalogue(organisations.values(), self.territories)
        ids = await self.ensure_rooms(specs, report)
        accounts = {u["name"]: u for u in await self.admin.list_users()}
        registry = {m.matrix_id for m in members}
        for done, member in enumerate(members, start=1):
            account = accounts.get(member.matrix_id)
            if account is None and member.status is not MemberStatus.ACTIVE:
                continue
            await self.ensure_account(member, account, report)
            if progress:
                progress(done, len(members) + len(ids))
        report.unknown_accounts = sorted(
            u
            for u, a in accounts.items()
            if u not in registry and u != self.bot and not a.get("deactivated")
        )
        wanted_by_room: dict[str, dict[str, int]] = {k: {} for k in ids}
        for member in members:
            rooms = member_rooms(member, organisations.get(member.organisation), self.territories)
            for key in rooms:
                if key in wanted_by_room:
                    wanted_by_room[key][member.matrix_id] = power_level(member)
        for step, (key, room_id) in enumerate(sorted(ids.items()), start=1):
            wanted = wanted_by_room[key]
            present = await self.admin.room_members(room_id)
            for user_id in sorted(set(wanted) - {u for u, m in present.items() if m == "join"}):
                await self.admin.force_join(user_id, room_id)
                report.joined.append((user_id, key))
            for user_id in sorted(set(present) - set(wanted) - {self.bot}):
                await self._remove(room_id, user_id, "not given this room by the registry")
                report.removed.append((user_id, key))
            await self._set_power(room_id, wanted, key, report, exact=True)
            if progress:
                progress(len(members) + step, len(members) + len(ids))
        return report
