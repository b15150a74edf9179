"""The bot's own account is never a member: no admin can lock, deactivate or rename it.

Review of issue 15, H2: ``!member add @prevnet:server ...`` then ``!member suspend`` (or a partner
file listing the bot) locked the bot's account and logged it out, which stopped the network for
good; ``add`` alone renamed it. Every door refuses the bot's ID, saying it is prevnet's own
account, and the homeserver side never acts on such a record that an older prevnet stored: it is
reported with the way out.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bots.admin_commands import register_member_commands
from bots.commands import CommandRegistry, Context
from bots.network import MatrixNetwork
from bots.synapse_admin import SynapseAdmin
from phenomena.errors import DocumentErrors, InvalidValue
from phenomena.partners import Member, MemberStatus, Role
from phenomena.partners_file import parse_partner_file
from phenomena.rooms import ADMIN
from phenomena.services import partners as use
from phenomena.storage.database import Database
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.cli import cli
from tests.matrix.test_membership import make_registry, members_of
from tests.security.test_member_input_foreign_ids import registry_with_an_admin
from tests.support.synapse import LocalHomeserver
from tests.test_cli import EXAMPLES
from tests.unit.test_partners_file import GOOD

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
BOT = "@prevnet:prevnet.example"
OWN = "is prevnet's own account (the bot), not a member"


def cli_run(data: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data), *args])


def test_the_command_line_refuses_the_bots_id_in_a_file_and_in_member_add(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    text = (EXAMPLES / "partners.yaml").read_text(encoding="utf-8")
    target = '  - matrix_id: "@prevention.quevy:prevnet.localhost"'
    line = text.splitlines().index(target) + 1
    bad = tmp_path / "partners.yaml"
    bad.write_text(
        text.replace("@prevention.quevy:prevnet.localhost", "@prevnet:prevnet.localhost")
    )
    result = cli_run(data, "partners", "import", str(bad))
    assert result.exit_code == 1, result.output
    assert f"line {line}: @prevnet:prevnet.localhost {OWN}" in result.stderr
    assert "no members yet" in cli_run(data, "members", "list").output

    assert cli_run(data, "partners", "import", str(EXAMPLES / "partners.yaml")).exit_code == 0
    added = cli_run(
        data, "member", "add", "@prevnet:prevnet.localhost", "--org", "pcs-mons", "--name", "X"
    )
    assert added.exit_code == 1
    assert f"error: @prevnet:prevnet.localhost {OWN}" in added.stderr
    assert "@prevnet:" not in cli_run(data, "members", "list", "--all").output


async def test_the_admin_room_and_the_use_cases_refuse_the_bots_id(
    db: Database, territories: TerritoryRegistry
) -> None:
    admin = await registry_with_an_admin(db, territories)
    registry = CommandRegistry()
    register_member_commands(
        registry, lambda: SqlUnitOfWork(db.sessions), lambda: NOW, "prevnet.example", BOT
    )
    context = Context(sender=admin.matrix_id, member=admin, room_id="!admin:x", room_key=ADMIN)
    reply = await registry.dispatch(context, f"!member add {BOT} org=pcs-mons name=x")
    assert reply is not None and reply.text.startswith(f"{BOT} {OWN}"), reply
    suspend = await registry.dispatch(context, f"!member suspend {BOT}")
    assert suspend is not None and "is not a member" in suspend.text

    bot = Member(BOT, "x", "pcs-mons", frozenset({Role.MEMBER}))
    with pytest.raises(InvalidValue, match="prevnet's own account"):
        await use.add_member(
            SqlUnitOfWork(db.sessions), bot, "t", NOW, server_name="prevnet.example", bot_id=BOT
        )
    text = GOOD.replace("@bob:prevnet.example", BOT)
    with pytest.raises(DocumentErrors) as in_file:
        parse_partner_file(text, territories, server_name="prevnet.example", bot_id=BOT)
    assert in_file.value.errors[0].message.startswith(f"{BOT} {OWN}")
    document = parse_partner_file(text, territories)  # read without the check: the import has it
    with pytest.raises(DocumentErrors) as imported:
        await use.import_partners(
            SqlUnitOfWork(db.sessions),
            document,
            "t",
            NOW,
            server_name="prevnet.example",
            bot_id=BOT,
        )
    (error,) = imported.value.errors
    assert error.line == document.lines[f"member:{BOT}"]
    async with SqlUnitOfWork(db.sessions) as uow:
        assert await uow.members.get(BOT) is None


async def test_a_stored_bot_member_is_never_locked_renamed_moved_or_deactivated(
    homeserver: LocalHomeserver, admin: SynapseAdmin, network: MatrixNetwork
) -> None:
    """As an older database may hold it: the bot keeps its account, name and rooms."""
    reg = make_registry(homeserver)
    await network.reconcile(reg.members.values(), reg.orgs)
    before = await admin.get_user(network.bot)
    assert before is not None
    as_member = Member(network.bot, "Mallory", "pz-oostende", frozenset({Role.MEMBER}))
    fix = f"remove this member record: prevnet member remove {network.bot}"

    for status in (MemberStatus.ACTIVE, MemberStatus.SUSPENDED):
        record = replace(as_member, status=status)
        report = await network.apply_member(record, reg.orgs)  # the membership handler
        assert [p.fix for p in report.problems] == [fix], report.summary()
        report = await network.reconcile([*reg.members.values(), record], reg.orgs)
        assert [p.fix for p in report.problems] == [fix], report.summary()
        assert not report.accounts_fixed and not report.removed, report.summary()

    removed = replace(as_member, status=MemberStatus.REMOVED)
    await network.apply_member(removed, reg.orgs)
    report = await network.reconcile([*reg.members.values(), removed], reg.orgs)
    assert not report.problems and not report.changed_anything, report.summary()

    after = await admin.get_user(network.bot)
    assert after is not None
    assert not after.get("locked") and not after.get("deactivated")
    assert after.get("displayname") == before.get("displayname")
    assert await admin.request("GET", "/_matrix/client/v3/account/whoami") is not None
    for key in ("admin", "zone:5324", "moderation"):
        room_id = await network.room_id(key)
        assert room_id is not None
        assert (await admin.room_members(room_id)).get(network.bot) == "join", key
    assert await members_of(admin, network, "admin") == {reg.member("admin").matrix_id}
