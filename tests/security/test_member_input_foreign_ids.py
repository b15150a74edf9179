"""Finding 3: a Matrix ID of another server is refused wherever a member is added.

prevnet's network is closed: an account of ``evil.example`` can never join its rooms, and the
homeserver refuses even to look one up, so such a member used to be accepted and then fail
forever. Every entry point (partner file, ``prevnet member add``, ``!member add`` in #admin, the
use case under them) refuses it with the server prevnet serves and the ID to write instead.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from bots.admin_commands import register_member_commands
from bots.commands import CommandRegistry, Context
from phenomena.errors import DocumentErrors, InvalidValue
from phenomena.partners import Member, Role
from phenomena.partners_file import parse_partner_file
from phenomena.rooms import ADMIN
from phenomena.services import partners as use
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.schema import AuditRow, MemberRow
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.cli import cli
from tests.test_cli import EXAMPLES
from tests.unit.test_partners_file import GOOD

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)

REFUSAL = (
    "@x:evil.example is on another server; prevnet serves prevnet.localhost: "
    "use @x:prevnet.localhost"
)


def cli_run(data: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data), *args])


def test_a_partner_file_naming_a_foreign_member_is_refused_with_its_line(tmp_path: Path) -> None:
    text = (EXAMPLES / "partners.yaml").read_text(encoding="utf-8")
    target = '  - matrix_id: "@prevention.quevy:prevnet.localhost"'
    line = text.splitlines().index(target) + 1
    bad = tmp_path / "partners.yaml"
    bad.write_text(text.replace("@prevention.quevy:prevnet.localhost", "@x:evil.example"))
    result = cli_run(tmp_path / "data", "partners", "import", str(bad))
    assert result.exit_code == 1
    assert "1 error(s); nothing was changed" in result.stderr
    assert f"line {line}: {REFUSAL}" in result.stderr
    assert "no members yet" in cli_run(tmp_path / "data", "members", "list").output


def test_member_add_on_the_command_line_refuses_a_foreign_id(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli_run(data, "partners", "import", str(EXAMPLES / "partners.yaml")).exit_code == 0
    result = cli_run(data, "member", "add", "@x:evil.example", "--org", "pcs-mons", "--name", "X")
    assert result.exit_code == 1
    assert f"error: {REFUSAL}" in result.stderr
    assert "evil.example" not in cli_run(data, "members", "list", "--all").output
    assert "@x:evil.example" not in cli_run(data, "audit").output
    malformed = cli_run(data, "member", "add", "x@evil", "--org", "pcs-mons", "--name", "X")
    assert malformed.exit_code == 1
    assert "'x@evil' is not a Matrix user ID: write it as @name:prevnet.localhost" in (
        malformed.stderr
    )


async def count(db: Database, table: type[MemberRow] | type[AuditRow]) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def registry_with_an_admin(db: Database, territories: TerritoryRegistry) -> Member:
    text = GOOD.replace("roles: [author, moderator]", "roles: [author, moderator, admin]")
    await use.import_partners(
        SqlUnitOfWork(db.sessions), parse_partner_file(text, territories), "t", NOW
    )
    async with SqlUnitOfWork(db.sessions) as uow:
        admin = await uow.members.get("@alice:prevnet.example")
    assert admin is not None
    return admin


@pytest.mark.parametrize("configured", [True, False])
async def test_member_add_in_the_admin_room_refuses_a_foreign_id(
    db: Database, territories: TerritoryRegistry, configured: bool
) -> None:
    """The registered ``!member add`` as the bot runs it for an admin in #admin.

    Without a configured server name it takes the admin's own server (the same, on a closed
    network).
    """
    admin = await registry_with_an_admin(db, territories)
    members, audits = await count(db, MemberRow), await count(db, AuditRow)
    events = len(await Outbox(db, "t").events())
    registry = CommandRegistry()
    register_member_commands(
        registry,
        lambda: SqlUnitOfWork(db.sessions),
        lambda: NOW,
        "prevnet.example" if configured else None,
    )
    context = Context(sender=admin.matrix_id, member=admin, room_id="!admin:x", room_key=ADMIN)
    reply = await registry.dispatch(
        context, '!member add @x:evil.example org=pcs-mons name="Mallory"'
    )
    assert reply is not None
    assert reply.text == (
        "@x:evil.example is on another server; prevnet serves prevnet.example: "
        "use @x:prevnet.example"
    )
    assert (await count(db, MemberRow), await count(db, AuditRow)) == (members, audits)
    assert len(await Outbox(db, "t").events()) == events
    good = await registry.dispatch(context, '!member add @x:prevnet.example org=pcs-mons name="X"')
    assert good is not None and "@x:prevnet.example is a member of pcs-mons" in good.text


async def test_the_use_case_refuses_a_foreign_id_before_writing_anything(
    db: Database, territories: TerritoryRegistry
) -> None:
    await registry_with_an_admin(db, territories)
    members, audits = await count(db, MemberRow), await count(db, AuditRow)
    events = len(await Outbox(db, "t").events())
    stranger = Member("@x:evil.example", "X", "pcs-mons", frozenset({Role.MEMBER}))
    with pytest.raises(InvalidValue, match=re.escape("prevnet serves prevnet.example: use @x:")):
        await use.add_member(
            SqlUnitOfWork(db.sessions), stranger, "cli:t", NOW, server_name="prevnet.example"
        )
    # a file read without the server name is still refused by the import, with the line
    text = GOOD.replace("@bob:prevnet.example", "@x:evil.example").replace(
        "name: Bob Peeters", "name: Bob Changed"
    )
    document = parse_partner_file(text, territories)
    with pytest.raises(DocumentErrors) as raised:
        await use.import_partners(
            SqlUnitOfWork(db.sessions), document, "cli:t", NOW, server_name="prevnet.example"
        )
    (error,) = raised.value.errors
    assert error.line == document.lines["member:@x:evil.example"]
    assert "@x:evil.example is on another server" in error.message
    assert (await count(db, MemberRow), await count(db, AuditRow)) == (members, audits)
    assert len(await Outbox(db, "t").events()) == events


async def test_a_foreign_member_stored_before_the_fix_can_still_be_removed(
    db: Database, territories: TerritoryRegistry
) -> None:
    """The way out the reconciliation report names: removing it is never refused."""
    await registry_with_an_admin(db, territories)
    async with SqlUnitOfWork(db.sessions) as uow:  # as an older prevnet recorded it
        await uow.members.add(Member("@x:evil.example", "X", "pcs-mons", frozenset({Role.MEMBER})))
        await uow.commit()
    removed = await use.remove_member(
        SqlUnitOfWork(db.sessions), "@x:evil.example", "cli:t", "another server", NOW
    )
    assert not removed.is_active
