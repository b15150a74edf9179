"""The homeserver follows the registry: rooms, accounts, memberships, power levels, settings.

Every operation compares what is with what should be and changes only the difference, so it is
idempotent and safe to interrupt: running it again finishes the job. Rooms are found by the IDs
recorded in the room directory when prevnet created them, never by alias. A room or member that
cannot be repaired is reported (``ReconcileReport.problems``) and everything else is still done.
Room changes go through the bot (matrix-nio); account changes through the Synapse admin API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import nio

from bots.accounts import ensure_account, is_local, reported_bot, reported_foreign
from bots.closed_rooms import ClosedRooms
from bots.reconcile_report import Problem, ReconcileReport
from bots.room_directory import RoomDirectory
from bots.room_repair import RETRY, AlertRecipients, RoomRepair, alert_id_of, refusal
from bots.rooms import create_room, link, room_state, set_power
from bots.synapse_admin import MatrixAdminError, SynapseAdmin
from phenomena.errors import PrevnetError
from phenomena.partners import Member, MemberStatus, Organisation
from phenomena.room_keys import ALERT_KIND, REGISTRY_KIND, RoomRecord
from phenomena.rooms import RoomKind, RoomSpec, member_rooms, power_level, room_catalogue
from phenomena.territory import TerritoryRegistry

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

__all__ = ["MatrixNetwork", "MembershipNotApplied", "Problem", "ReconcileReport"]


class MembershipNotApplied(PrevnetError):
    """Part of a member's change could not be applied (the rest was); retrying may finish it."""

    def __init__(self, report: ReconcileReport) -> None:
        self.report = report
        super().__init__("; ".join(p.line()[2:] for p in report.problems))


class MatrixNetwork:
    """Applies the registry to the homeserver, as the bot account (a server admin)."""

    def __init__(
        self,
        client: nio.AsyncClient,
        admin: SynapseAdmin,
        server_name: str,
        territories: TerritoryRegistry,
        directory: RoomDirectory,
        *,
        namespace: str = "",
        alert_recipients: AlertRecipients | None = None,
    ) -> None:
        self.client = client
        self.alert_recipients = alert_recipients  # who an alert's room is for (stored_recipients)
        self.admin = admin
        self.server_name = server_name
        self.territories = territories
        self.directory = directory
        self.namespace = namespace  # an alias prefix, so that tests can share one homeserver
        self.closed = ClosedRooms(client, admin, directory)
        self.repair = RoomRepair(client, admin, server_name)
        self.problems: list[Problem] = []  # the last reconciliation's, for /health and #admin
        self._room_ids: dict[str, str] = {}  # registry and alert rooms (they never change)

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

    def is_local(self, matrix_id: str) -> bool:
        """Whether a Matrix ID is an account of the server prevnet serves."""
        return is_local(matrix_id, self.server_name)

    # -- the room directory -------------------------------------------------------------------

    def managed_keys(self) -> list[str]:
        """The keys of the registry's rooms this process has seen."""
        return [k for k in self._room_ids if RoomRecord(k, "").kind == REGISTRY_KIND]

    async def key_of_room(self, room_id: str) -> str | None:
        """The key of a room prevnet recorded (None for rooms prevnet does not know)."""
        for key, known in self._room_ids.items():
            if known == room_id:
                return key
        return await self.directory.key_of(room_id)

    async def room_id(self, key: str) -> str | None:
        """The recorded room ID of a room prevnet created, if it exists."""
        if key in self._room_ids:
            return self._room_ids[key]
        record = await self.directory.get(key)
        if record is None:
            return None
        if record.kind != "dm":  # a direct chat can be replaced; the others never change
            self._room_ids[key] = record.room_id
        return record.room_id

    # -- direct chats and per-alert rooms (see bots.closed_rooms) -----------------------------

    async def direct_room(self, matrix_id: str) -> str:
        """The member's private chat with the bot: the recorded one, or a new encrypted one."""
        return await self.closed.direct_room(matrix_id)

    async def accept_direct_chat(self, room_id: str, matrix_id: str) -> bool:
        """Check and record a direct chat a member opened with the bot (False: leave it)."""
        return await self.closed.accept_direct_chat(room_id, matrix_id)

    async def forget_direct_chat(self, room_id: str) -> None:
        """A direct chat somebody else came into is no longer used for private answers."""
        await self.closed.forget_direct_chat(room_id)

    async def alert_room(self, key: str, name: str, topic: str, members: Collection[str]) -> str:
        """An alert's own room with exactly ``members`` (created once, then as it is)."""
        room_id = await self.closed.alert_room(key, name, topic, members)
        self._room_ids[key] = room_id
        return room_id

    async def close_alert_room(self, key: str, name: str) -> None:
        """Rename an alert's room as closed; nobody is added, members keep their history."""
        await self.closed.close_alert_room(key, name)

    # -- the registry's rooms -----------------------------------------------------------------

    async def ensure_rooms(
        self, specs: Mapping[str, RoomSpec], report: ReconcileReport | None = None
    ) -> dict[str, str]:
        """The registry's rooms by key, created where missing (spaces first), linked in spaces.

        A room that cannot be created is reported and left out; the others are still made.
        """
        report = report if report is not None else ReconcileReport()
        ordered = sorted(specs.values(), key=lambda s: (s.kind is not RoomKind.SPACE, s.key))
        ids: dict[str, str] = {}
        for spec in ordered:
            try:
                ids[spec.key] = await self._ensure_room(spec, ids, report)
            except MatrixAdminError as exc:
                report.problem(
                    spec.key,
                    f"the room could not be created: {refusal(exc)}",
                    "check the homeserver's log and run `prevnet reconcile` again",
                )
        return ids

    async def _ensure_room(
        self, spec: RoomSpec, ids: Mapping[str, str], report: ReconcileReport
    ) -> str:
        known = await self.room_id(spec.key)
        if known is not None:
            return known
        async with self.directory.creating(spec.key):
            record = await self.directory.get(spec.key)  # another instance may just have made it
            if record is not None:
                self._room_ids[spec.key] = record.room_id
                return record.room_id
            for _attempt in range(3):
                room_id = await self._our_room_under_alias(spec, report)
                if room_id is not None:
                    break
                try:
                    room_id = await create_room(
                        self.admin,
                        spec.key,
                        name=spec.name,
                        topic=spec.topic,
                        alias_localpart=self.namespace + spec.alias_localpart,
                        space=spec.kind is RoomKind.SPACE,
                    )
                except MatrixAdminError as exc:
                    if exc.errcode == "M_ROOM_IN_USE":  # the alias was taken meanwhile
                        continue
                    raise
                report.rooms_created.append(spec.key)
                log.info("created room %s (%s)", spec.key, room_id)
                break
            else:
                raise MatrixAdminError(
                    "client", f"create {spec.key}", 409, {"error": "its alias keeps being taken"}
                )
            await self.directory.record(RoomRecord(spec.key, room_id))
            self._room_ids[spec.key] = room_id
        if spec.parent and spec.parent in ids:
            parent_state = await room_state(self.admin, ids[spec.parent])
            if parent_state.content("m.space.child", room_id) is None:
                await link(self.client, self.server_name, ids[spec.parent], room_id)
        return room_id

    async def _our_room_under_alias(self, spec: RoomSpec, report: ReconcileReport) -> str | None:
        """The room prevnet made for ``spec`` under its alias but did not record (a crash).

        A room someone else made carries no bulletin: its alias is taken back (the bot is a
        server admin) and reported, and the room is left alone. Rooms an older prevnet made,
        before the room directory, carry no marker; they are the bot's and are adopted.
        """
        alias = self.alias(spec)
        found = await self.admin.resolve_alias(alias)
        if found is None:
            return None
        state = await room_state(self.admin, found)
        ours = state.creator == self.bot and state.marker in (spec.key, None)
        if ours and await self.directory.key_of(found) is None:
            return found
        await self.admin.delete_alias(alias)
        report.problem(
            alias,
            f"the alias pointed at room {found}, made by {state.creator}, not prevnet's room for"
            f" {spec.key}; prevnet took the alias back and uses a room of its own (nothing was"
            " sent to that room)",
            f"ask {state.creator} why; delete that room with the admin API"
            f" (DELETE /_synapse/admin/v2/rooms/{found}) if it misleads members",
        )
        return None

    async def ensure_account(
        self, member: Member, known: Mapping[str, Any] | None, report: ReconcileReport
    ) -> None:
        """Make the account match the member: exists, active or locked, named right.

        Never for the bot's own account (reported instead): that would lock out prevnet.
        """
        if not reported_bot(member, self.bot, report):
            await ensure_account(self.admin, member, known, report)

    async def _account(
        self, member: Member, known: Mapping[str, Any] | None, report: ReconcileReport
    ) -> None:
        if member.matrix_id == self.bot:  # reported by the caller; never locked or renamed
            return
        try:
            await ensure_account(self.admin, member, known, report)
        except MatrixAdminError as exc:
            report.problem(
                member.matrix_id,
                f"the account could not be set right: {refusal(exc)}",
                "check the account with the admin API; `prevnet reconcile` tries again",
            )

    # -- membership ---------------------------------------------------------------------------

    async def apply_member(
        self,
        member: Member,
        organisations: Mapping[str, Organisation],
        report: ReconcileReport | None = None,
    ) -> ReconcileReport:
        """Bring one member's account, rooms and power levels in line with the registry.

        Each room is handled on its own; if any step failed, the rest is done and
        ``MembershipNotApplied`` is raised at the end with every problem (so it is retried).
        A record with the bot's own ID is never applied (nor retried): it is reported.
        """
        report = report if report is not None else ReconcileReport()
        if reported_bot(member, self.bot, report):
            return report
        before = len(report.problems)
        if not reported_foreign(member, self.server_name, report):
            await self._apply_member(member, organisations, report)
        if len(report.problems) > before:
            raise MembershipNotApplied(report)
        return report

    async def _apply_member(
        self, member: Member, organisations: Mapping[str, Organisation], report: ReconcileReport
    ) -> None:
        specs = room_catalogue(organisations.values(), self.territories)
        wanted = member_rooms(member, organisations.get(member.organisation), self.territories)
        ids = await self.ensure_rooms({k: specs[k] for k in wanted if k in specs}, report)
        if member.is_active:  # the account must exist before it can join
            await self._account(member, None, report)
        managed: dict[str, str] = {}
        for key in specs:
            room_id = await self.room_id(key)
            if room_id is not None:
                managed[room_id] = key
        current = set(await self.admin.joined_rooms(member.matrix_id))
        alert_rooms = {r.room_id: r.key for r in await self.directory.all(ALERT_KIND)}
        for room_id in sorted(current & alert_rooms.keys()):  # out of alert rooms not theirs
            if not member.is_active or not await self._may_read(member, alert_rooms[room_id]):
                managed[room_id] = alert_rooms[room_id]
        for key in sorted(k for k in wanted if k in ids and ids[k] not in current):
            if await self.repair.step(
                report, key, self.admin.force_join(member.matrix_id, ids[key])
            ):
                report.joined.append((member.matrix_id, key))
        for room_id in sorted(current):
            managed_key = managed.get(room_id)
            if managed_key is not None and managed_key not in wanted:
                reason = (
                    "no longer in your organisation's rooms"
                    if member.is_active
                    else f"membership {member.status.value}"
                )
                if await self.repair.kick(room_id, member.matrix_id, reason, managed_key, report):
                    report.removed.append((member.matrix_id, managed_key))
        if not member.is_active:  # out of the rooms first, then locked out or deactivated
            await self._account(member, None, report)
            return
        level = power_level(member)
        for key in sorted(k for k in wanted if k in ids):
            try:
                if await set_power(
                    self.client, self.bot, ids[key], None, {member.matrix_id: level}
                ):
                    report.power_levels_set.append(key)
            except MatrixAdminError as exc:
                report.problem(key, refusal(exc), RETRY)

    async def _recipients(self, key: str) -> Collection[str] | None:
        """The organisations an alert room is for (None: unknown, or no lookup wired)."""
        alert_id = alert_id_of(key)
        if self.alert_recipients is None or alert_id is None:
            return None
        return await self.alert_recipients(alert_id)

    async def _may_read(self, member: Member, key: str) -> bool:
        """Whether an active member's organisation is among an alert room's recipients."""
        recipients = await self._recipients(key)
        return recipients is None or member.organisation in recipients

    # -- the whole registry -------------------------------------------------------------------

    async def reconcile(
        self,
        members: Iterable[Member],
        organisations: Mapping[str, Organisation],
        progress: Progress | None = None,
    ) -> ReconcileReport:
        """Compare the whole registry with the homeserver and repair every difference.

        Works room by room (one state read each, then only the changes), so it scales with the
        number of rooms plus the number of changes, not rooms times members. A room or member
        that cannot be repaired goes into ``problems`` (also kept in ``self.problems``).
        """
        report = ReconcileReport()
        members = [
            m
            for m in members
            if not reported_bot(m, self.bot, report)
            and not reported_foreign(m, self.server_name, report)
        ]
        specs = room_catalogue(organisations.values(), self.territories)
        ids = await self.ensure_rooms(specs, report)
        alert_rooms = await self.directory.all(ALERT_KIND)
        accounts = {u["name"]: u for u in await self.admin.list_users()}
        registry = {m.matrix_id for m in members}
        total = len(members) + len(ids) + len(alert_rooms)
        for done, member in enumerate(members, start=1):
            account = accounts.get(member.matrix_id)
            if account is not None or member.status is MemberStatus.ACTIVE:
                await self._account(member, account, report)
            if progress:
                progress(done, total)
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
        step = len(members)

        def advanced() -> None:
            nonlocal step
            step += 1
            if progress:
                progress(step, total)

        await self.repair.registry_rooms(specs, ids, wanted_by_room, report, advanced)
        active = {m.matrix_id: m.organisation for m in members if m.is_active}
        for record in alert_rooms:
            recipients = await self._recipients(record.key)
            await self.repair.alert_room(record, active, recipients, report)
            step += 1
            if progress:
                progress(step, total)
        self.problems = list(report.problems)
        return report
