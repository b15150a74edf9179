"""Use cases for partner organisations and their members."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from phenomena.errors import DocumentErrors, DomainError, LineError, NotFound
from phenomena.events import MemberAdded, OrganisationAdded
from phenomena.partners import (
    Member,
    MemberStatus,
    Organisation,
    Role,
    bot_refusal,
    check_member_id,
)
from phenomena.partners_file import PartnerDocument
from phenomena.services.unit_of_work import UnitOfWork


@dataclass
class ImportReport:
    """What an import did, counted, with the members it left alone and why."""

    organisations_added: list[str] = field(default_factory=list)
    organisations_changed: list[str] = field(default_factory=list)
    organisations_unchanged: int = 0
    members_added: list[str] = field(default_factory=list)
    members_changed: list[str] = field(default_factory=list)
    members_unchanged: int = 0
    members_skipped: list[str] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        """Whether the import wrote anything."""
        return bool(
            self.organisations_added
            or self.organisations_changed
            or self.members_added
            or self.members_changed
        )


async def import_partners(
    uow: UnitOfWork,
    document: PartnerDocument,
    actor: str,
    now: datetime,
    *,
    server_name: str | None = None,
    bot_id: str | None = None,
) -> ImportReport:
    """Create or update the organisations and members of a partner file, all or nothing.

    Members the file does not name are left as they are (``prevnet member remove`` removes).
    A member who was suspended or removed is not brought back by an old file: the report names
    them, and ``prevnet member reinstate`` is the deliberate way back. With ``server_name`` (the
    server prevnet serves), a member on another server fails the import with its line; with
    ``bot_id`` (prevnet's own account), so does a member with the bot's ID.
    """
    report = ImportReport()
    async with uow:
        known_orgs = {o.key for o in await uow.organisations.list()}
        file_orgs = {o.key for o in document.organisations}
        errors = [
            LineError(
                document.lines.get(f"member:{m.matrix_id}"),
                f"member {m.matrix_id}: unknown organisation '{m.organisation}'; add it under "
                "'organisations:' or correct the key",
            )
            for m in document.members
            if m.organisation not in known_orgs | file_orgs
        ]
        if server_name is not None:
            errors.extend(_foreign_members(document, server_name))
        errors.extend(
            LineError(document.lines.get(f"member:{m.matrix_id}"), bot_refusal(m.matrix_id))
            for m in document.members
            if bot_id is not None and m.matrix_id == bot_id
        )
        errors.sort(key=lambda e: e.line or 0)
        if errors:
            raise DocumentErrors(errors, "partner file")
        for org in document.organisations:
            existing = await uow.organisations.get(org.key)
            if existing is None:
                org.events.append(OrganisationAdded(key=org.key))
                await uow.organisations.add(org)
                report.organisations_added.append(org.key)
            elif existing.change(
                org.name,
                org.kind,
                org.territories,
                prevention_url=org.prevention_url,
                coordinators=org.coordinators,
            ):
                await uow.organisations.save(existing)
                report.organisations_changed.append(org.key)
            else:
                report.organisations_unchanged += 1
        for member in document.members:
            current = await uow.members.get(member.matrix_id)
            if current is None:
                member.events.append(
                    MemberAdded(matrix_id=member.matrix_id, organisation=member.organisation)
                )
                await uow.members.add(member)
                report.members_added.append(member.matrix_id)
            elif current.status is not MemberStatus.ACTIVE:
                report.members_skipped.append(
                    f"{member.matrix_id} ({current.status.value}; "
                    "use `prevnet member reinstate` to bring them back)"
                )
            elif current.change(
                member.display_name, member.organisation, member.roles, member.email
            ):
                await uow.members.save(current)
                report.members_changed.append(member.matrix_id)
            else:
                report.members_unchanged += 1
        if report.changed_anything:
            await uow.audit.record(
                actor,
                "partners.import",
                "registry",
                {
                    "organisations_added": report.organisations_added,
                    "organisations_changed": report.organisations_changed,
                    "members_added": report.members_added,
                    "members_changed": report.members_changed,
                },
                now,
            )
        await uow.commit()
    return report


def _foreign_members(document: PartnerDocument, server_name: str) -> list[LineError]:
    errors = []
    for member in document.members:
        try:
            check_member_id(member.matrix_id, server_name)
        except DomainError as exc:
            errors.append(LineError(document.lines.get(f"member:{member.matrix_id}"), str(exc)))
    return errors


async def get_member(uow: UnitOfWork, matrix_id: str) -> Member:
    """The member with this Matrix ID, or NotFound saying how to list members."""
    member = await uow.members.get(matrix_id)
    if member is None:
        raise NotFound(f"{matrix_id} is not a member; `prevnet members list` shows who is")
    return member


async def get_organisation(uow: UnitOfWork, key: str) -> Organisation:
    """The organisation with this key, or NotFound saying how to list them."""
    organisation = await uow.organisations.get(key)
    if organisation is None:
        raise NotFound(f"no organisation '{key}'; `prevnet partners list` shows them")
    return organisation


async def add_member(
    uow: UnitOfWork,
    member: Member,
    actor: str,
    now: datetime,
    *,
    server_name: str,
    bot_id: str | None = None,
) -> Member:
    """Add a member, or reinstate and update one who was suspended or removed.

    ``server_name`` is the server prevnet serves and ``bot_id`` prevnet's own account: a Matrix
    ID of another server, or the bot's, is refused (``check_member_id``) before anything is
    read or written.
    """
    check_member_id(member.matrix_id, server_name, bot_id=bot_id)
    async with uow:
        await get_organisation(uow, member.organisation)
        current = await uow.members.get(member.matrix_id)
        if current is None:
            member.events.append(
                MemberAdded(matrix_id=member.matrix_id, organisation=member.organisation)
            )
            await uow.members.add(member)
            result = member
        else:
            if not current.is_active:
                current.reinstate(actor, now)
            current.change(member.display_name, member.organisation, member.roles, member.email)
            await uow.members.save(current)
            result = current
        await uow.audit.record(
            actor,
            "member.add",
            member.matrix_id,
            {"organisation": member.organisation, "roles": sorted(r.value for r in member.roles)},
            now,
        )
        await uow.commit()
    return result


async def set_member_roles(
    uow: UnitOfWork, matrix_id: str, roles: frozenset[Role], actor: str, now: datetime
) -> Member:
    """Give a member exactly these roles (every member keeps the member role)."""
    async with uow:
        member = await get_member(uow, matrix_id)
        roles = roles | {Role.MEMBER}
        before = sorted(r.value for r in member.roles)
        if member.change(member.display_name, member.organisation, roles, member.email):
            await uow.members.save(member)
            await uow.audit.record(
                actor,
                "member.roles",
                matrix_id,
                {"before": before, "after": sorted(r.value for r in roles)},
                now,
            )
        await uow.commit()
    return member


async def suspend_member(
    uow: UnitOfWork, matrix_id: str, actor: str, reason: str, now: datetime
) -> Member:
    """Lock a member out for now; their messages stay."""
    async with uow:
        member = await get_member(uow, matrix_id)
        member.suspend(actor, reason, now)
        await uow.members.save(member)
        await uow.audit.record(actor, "member.suspend", matrix_id, {"reason": reason}, now)
        await uow.commit()
    return member


async def remove_member(
    uow: UnitOfWork, matrix_id: str, actor: str, reason: str, now: datetime
) -> Member:
    """Take a member out of the network; their messages stay and the record is kept."""
    async with uow:
        member = await get_member(uow, matrix_id)
        member.remove(actor, reason, now)
        await uow.members.save(member)
        await uow.audit.record(actor, "member.remove", matrix_id, {"reason": reason}, now)
        await uow.commit()
    return member


async def reinstate_member(uow: UnitOfWork, matrix_id: str, actor: str, now: datetime) -> Member:
    """Let a suspended or removed member back in."""
    async with uow:
        member = await get_member(uow, matrix_id)
        member.reinstate(actor, now)
        await uow.members.save(member)
        await uow.audit.record(actor, "member.reinstate", matrix_id, {}, now)
        await uow.commit()
    return member
