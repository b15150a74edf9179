"""Partner imports and member changes, stored on SQLite and PostgreSQL, with their events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from phenomena.errors import DocumentErrors, InvalidValue, NotFound
from phenomena.events import (
    MemberAdded,
    MemberChanged,
    MemberReinstated,
    MemberRemoved,
    OrganisationAdded,
    OrganisationChanged,
)
from phenomena.partners import Member, MemberStatus, Role
from phenomena.partners_file import parse_partner_file
from phenomena.services import partners as use
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from tests.unit.test_partners_file import GOOD

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


async def event_names(db: Database) -> list[str]:
    return [e.name for _, e in await Outbox(db, "test").events()]


async def test_import_then_reimport_changes_nothing(
    db: Database, territories: TerritoryRegistry
) -> None:
    doc = parse_partner_file(GOOD, territories)
    report = await use.import_partners(SqlUnitOfWork(db.sessions), doc, "cli:test", NOW)
    assert len(report.organisations_added) == 4 and len(report.members_added) == 2
    events_after_first = await event_names(db)
    assert events_after_first.count("OrganisationAdded") == 4
    assert events_after_first.count("MemberAdded") == 2

    again = await use.import_partners(
        SqlUnitOfWork(db.sessions), parse_partner_file(GOOD, territories), "cli:test", NOW
    )
    assert not again.changed_anything
    assert again.organisations_unchanged == 4 and again.members_unchanged == 2
    assert await event_names(db) == events_after_first
    async with SqlUnitOfWork(db.sessions) as uow:
        audit = await uow.audit.list()
        alice = await uow.members.get("@alice:prevnet.example")
        orgs = await uow.organisations.list()
    assert [e.action for e in audit] == ["partners.import"]
    assert alice is not None and alice.roles == {Role.MEMBER, Role.AUTHOR, Role.MODERATOR}
    assert alice.email == "alice@example.org"
    assert [o.key for o in orgs] == ["pcs-mons", "prov-hainaut", "spf-interieur", "zp-mons-quevy"]


async def test_a_changed_file_records_what_changed(
    db: Database, territories: TerritoryRegistry
) -> None:
    await use.import_partners(
        SqlUnitOfWork(db.sessions), parse_partner_file(GOOD, territories), "cli:test", NOW
    )
    changed = GOOD.replace('territories: [Mons, "53084"]', "territories: [Mons]").replace(
        "name: Bob Peeters", "name: Bob Peeters-Dubois"
    )
    report = await use.import_partners(
        SqlUnitOfWork(db.sessions), parse_partner_file(changed, territories), "cli:test", NOW
    )
    assert report.organisations_changed == ["pcs-mons"]
    assert report.members_changed == ["@bob:prevnet.example"]
    events = [e for _, e in await Outbox(db, "t").events()]
    assert OrganisationChanged(key="pcs-mons", fields=("territories",)) in events
    assert MemberChanged(matrix_id="@bob:prevnet.example", fields=("display_name",)) in events
    async with SqlUnitOfWork(db.sessions) as uow:
        org = await uow.organisations.get("pcs-mons")
    assert org is not None and [t.key for t in org.territories] == ["53053"]


async def test_a_file_naming_an_unknown_organisation_changes_nothing(
    db: Database, territories: TerritoryRegistry
) -> None:
    text = (
        GOOD
        + '  - matrix_id: "@carol:prevnet.example"\n    name: Carol\n    organisation: nowhere\n'
    )
    doc = parse_partner_file(text, territories)
    with pytest.raises(DocumentErrors) as caught:
        await use.import_partners(SqlUnitOfWork(db.sessions), doc, "cli:test", NOW)
    assert caught.value.errors[0].line == len(GOOD.splitlines()) + 1
    assert "unknown organisation 'nowhere'" in caught.value.errors[0].message
    async with SqlUnitOfWork(db.sessions) as uow:
        assert await uow.organisations.list() == []
        assert await uow.members.list() == []
    assert await event_names(db) == []


async def test_member_lifecycle_keeps_the_record_and_audit(
    db: Database, territories: TerritoryRegistry
) -> None:
    await use.import_partners(
        SqlUnitOfWork(db.sessions), parse_partner_file(GOOD, territories), "cli:test", NOW
    )
    bob = "@bob:prevnet.example"
    await use.set_member_roles(
        SqlUnitOfWork(db.sessions), bob, frozenset({Role.AUTHOR}), "cli:admin", NOW
    )
    await use.suspend_member(SqlUnitOfWork(db.sessions), bob, "cli:admin", "on leave", NOW)
    with pytest.raises(InvalidValue, match="already suspended"):
        await use.suspend_member(SqlUnitOfWork(db.sessions), bob, "cli:admin", "again", NOW)
    await use.remove_member(SqlUnitOfWork(db.sessions), bob, "cli:admin", "left the service", NOW)

    # An old partner file does not bring a removed member back.
    report = await use.import_partners(
        SqlUnitOfWork(db.sessions), parse_partner_file(GOOD, territories), "cli:test", NOW
    )
    assert report.members_skipped and bob in report.members_skipped[0]
    async with SqlUnitOfWork(db.sessions) as uow:
        stored = await uow.members.get(bob)
        active = await uow.members.list(statuses=[MemberStatus.ACTIVE])
        everyone = await uow.members.list()
        audit = await uow.audit.list(subject=bob)
    assert stored is not None and stored.status is MemberStatus.REMOVED
    assert stored.status_changed_by == "cli:admin"
    assert [m.matrix_id for m in active] == ["@alice:prevnet.example"]
    assert len(everyone) == 2
    assert [e.action for e in audit] == ["member.remove", "member.suspend", "member.roles"]

    await use.reinstate_member(SqlUnitOfWork(db.sessions), bob, "cli:admin", NOW)
    events = [e for _, e in await Outbox(db, "t").events()]
    assert MemberRemoved(matrix_id=bob, by="cli:admin", reason="left the service") in events
    assert MemberReinstated(matrix_id=bob, by="cli:admin") in events


async def test_add_member_needs_a_known_organisation(db: Database) -> None:
    member = Member("@dan:x", "Dan", "ghost-org", frozenset({Role.MEMBER}))
    with pytest.raises(NotFound, match="prevnet partners list"):
        await use.add_member(SqlUnitOfWork(db.sessions), member, "cli:admin", NOW, server_name="x")
    with pytest.raises(NotFound, match="prevnet members list"):
        await use.remove_member(SqlUnitOfWork(db.sessions), "@dan:x", "cli:admin", "", NOW)


async def test_added_events_name_the_organisation(
    db: Database, territories: TerritoryRegistry
) -> None:
    await use.import_partners(
        SqlUnitOfWork(db.sessions), parse_partner_file(GOOD, territories), "cli:test", NOW
    )
    events = [e for _, e in await Outbox(db, "t").events()]
    assert OrganisationAdded(key="zp-mons-quevy") in events
    assert MemberAdded(matrix_id="@bob:prevnet.example", organisation="pcs-mons") in events
