"""Only one plain address is ever stored or mailed: lists, comments and line breaks are refused.

Review finding: ``victim@org.be,attacker@evil.com`` passed the old "has @, no space" check and
aiosmtplib then sent bulletins, invitations and the password-reset link to both (account
takeover); ``attacker@evil.com(victim@org.be)`` went to the attacker alone. Every door (command
line, ``!member add``, partner file) now refuses them, the reset lookup finds nobody for them,
and the ``To`` of every mail names exactly one recipient.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from aiosmtplib.email import extract_recipients
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bots.admin_commands import register_member_commands
from bots.commands import CommandRegistry, Context
from phenomena.email_address import email_problem, mail_address, normalise_email
from phenomena.errors import DocumentErrors, InvalidValue
from phenomena.partners import Member, Role
from phenomena.partners_file import parse_partner_file
from phenomena.rooms import ADMIN
from phenomena.storage.database import Database
from phenomena.storage.password_links import LinkPurpose, SqlPasswordLinks
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.cli import cli
from prevnet.mail.invitations import InvitationSetup, render_link_mail
from tests.mail.bulletin_desk import MailDesk
from tests.mail.smtp_relay import Relay, relay
from tests.security.test_member_input_foreign_ids import registry_with_an_admin
from tests.support.alert_desk import Desk, user
from tests.test_cli import EXAMPLES
from tests.unit.test_partners_file import GOOD

__all__ = ["relay"]

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
BOT = "@prevnet:prevnet.example"
MALICIOUS = [
    "victim@org.be,attacker@evil.com",
    "attacker@evil.com(victim@org.be)",
    "victim@org.be;attacker@evil.com",
    "Victim <attacker@evil.com>",
    "<attacker@evil.com>",
    '"x"<attacker@evil.com>@org.be',
    "victim@org.be\r\nBcc: attacker@evil.com",
    "victim@org.be\tattacker@evil.com",
    "victim@org.be attacker@evil.com",
    "victim@org.be@evil.com",
    "x" * 250 + "@org.be",
]
POLICY_LINE = EmailMessage().policy


def cli_run(data: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data), *args])


def test_the_validator_takes_one_plain_address_and_lowers_only_the_domain() -> None:
    assert normalise_email("  Jan.Peeters+prev@Politie.BE ") == "Jan.Peeters+prev@politie.be"
    for bad in MALICIOUS:
        with pytest.raises(InvalidValue, match=r"not an e-mail address.*one plain address"):
            normalise_email(bad)


def test_the_command_line_refuses_each_malicious_address_and_a_broken_name(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    assert cli_run(data, "partners", "import", str(EXAMPLES / "partners.yaml")).exit_code == 0
    for bad in MALICIOUS:
        added = cli_run(
            data, "member", "add", "@eve:prevnet.localhost", "--org", "pcs-mons", "--name", "Eve",
            "--email", bad,
        )  # fmt: skip
        assert added.exit_code == 1, (bad, added.output)
        assert "--email" in added.stderr and "is not an e-mail address" in added.stderr, bad
    broken = cli_run(
        data, "member", "add", "@eve:prevnet.localhost", "--org", "pcs-mons",
        "--name", "Eve\r\nBcc: attacker@evil.com", "--email", "eve@org.be",
    )  # fmt: skip
    assert broken.exit_code == 1 and "--name" in broken.stderr and "one line" in broken.stderr
    assert "@eve:" not in cli_run(data, "members", "list", "--all").output

    good = cli_run(
        data, "member", "add", "@eve:prevnet.localhost", "--org", "pcs-mons", "--name", "Eve",
        "--email", "Eve@Org.BE",
    )  # fmt: skip
    assert good.exit_code == 0, good.output
    assert "Eve@org.be" in good.output, good.output


async def test_member_add_in_the_admin_room_refuses_each_malicious_address(
    db: Database, territories: TerritoryRegistry
) -> None:
    admin = await registry_with_an_admin(db, territories)
    registry = CommandRegistry()
    register_member_commands(
        registry, lambda: SqlUnitOfWork(db.sessions), lambda: NOW, "prevnet.example", BOT
    )
    context = Context(sender=admin.matrix_id, member=admin, room_id="!admin:x", room_key=ADMIN)
    for bad in [b for b in MALICIOUS if not any(c.isspace() for c in b)]:
        reply = await registry.dispatch(
            context, f"!member add @eve:prevnet.example org=pcs-mons name=Eve email={bad}"
        )
        assert reply is not None and "is not an e-mail address" in reply.text, (bad, reply)
    for bad in [b for b in MALICIOUS if any(c.isspace() for c in b)]:
        quoted = bad.replace("\\", "\\\\").replace('"', '\\"')
        reply = await registry.dispatch(
            context, f'!member add @eve:prevnet.example org=pcs-mons name=Eve email="{quoted}"'
        )
        assert reply is not None and "@eve:prevnet.example is a member" not in reply.text, bad
    reply = await registry.dispatch(
        context, '!member add @eve:prevnet.example org=pcs-mons name="Eve\rBcc: x@evil.com"'
    )
    assert reply is not None and "is a member" not in reply.text, reply
    async with SqlUnitOfWork(db.sessions) as uow:
        assert await uow.members.get("@eve:prevnet.example") is None

    reply = await registry.dispatch(
        context, "!member add @eve:prevnet.example org=pcs-mons name=Eve email=eve@Org.BE"
    )
    assert reply is not None and "is a member" in reply.text, reply
    async with SqlUnitOfWork(db.sessions) as uow:
        eve = await uow.members.get("@eve:prevnet.example")
    assert eve is not None and eve.email == "eve@org.be"


def test_a_partner_file_with_a_malicious_address_names_its_line(
    territories: TerritoryRegistry,
) -> None:
    line = GOOD.splitlines().index("    email: alice@example.org") + 1
    for bad in MALICIOUS:
        quoted = bad.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r")
        text = GOOD.replace("email: alice@example.org", f'email: "{quoted}"'.replace("\n", "\\n"))
        with pytest.raises(DocumentErrors) as failed:
            parse_partner_file(text, territories)
        [error] = failed.value.errors
        assert error.line == line, (bad, error)
        assert "is not an e-mail address" in error.message and "one plain address" in str(error)
    name_line = GOOD.splitlines().index("    name: Alice Dupont") + 1
    broken = GOOD.replace("name: Alice Dupont", 'name: "Alice\\r\\nBcc: x@evil.com"')
    with pytest.raises(DocumentErrors) as failed:
        parse_partner_file(broken, territories)
    assert [(e.line, "one line" in e.message) for e in failed.value.errors] == [(name_line, True)]
    org = GOOD.replace("name: PSSP Mons", 'name: "PSSP\\nMons"')
    with pytest.raises(DocumentErrors, match="one line"):
        parse_partner_file(org, territories)
    document = parse_partner_file(
        GOOD.replace("alice@example.org", "Alice@Example.ORG"), territories
    )
    assert {m.email for m in document.members} >= {"Alice@example.org"}


async def test_the_reset_lookup_finds_nobody_for_a_list_or_a_stored_list(
    db: Database, territories: TerritoryRegistry
) -> None:
    await registry_with_an_admin(db, territories)  # alice@example.org, from the partner file
    links = SqlPasswordLinks(db)
    assert await links.active_member_with_address("alice@example.org") == "@alice:prevnet.example"
    for bad in ("alice@example.org,attacker@evil.com", "attacker@evil.com(alice@example.org)"):
        assert await links.active_member_with_address(bad) is None
    async with SqlUnitOfWork(db.sessions) as uow:  # as an older prevnet may have stored it
        bob = await uow.members.get("@bob:prevnet.example")
        assert bob is not None
        bob.change(bob.display_name, bob.organisation, bob.roles, "bob@org.be,attacker@evil.com")
        await uow.members.save(bob)
        await uow.commit()
    assert await links.active_member_with_address("bob@org.be,attacker@evil.com") is None


def test_an_invitation_to_a_name_with_a_line_break_has_one_recipient() -> None:
    member = Member(
        "@eve:prevnet.example", "Eve\r\nBcc: attacker@evil.com", "pcs-mons",
        frozenset({Role.MEMBER}), email="eve@org.be",
    )  # fmt: skip
    setup = InvitationSetup("https://prevnet.example", "https://matrix.prevnet.example")
    mail = render_link_mail(
        member, ("fr",), LinkPurpose.INVITE, "https://x/p/t?l=fr", setup, "p@prevnet.example"
    )
    assert extract_recipients(mail) == ["eve@org.be"]
    reread = message_from_bytes(mail.as_bytes(), policy=default)
    assert reread["Bcc"] is None and extract_recipients(reread) == ["eve@org.be"]
    with pytest.raises(InvalidValue):
        render_link_mail(
            replace(member, email="eve@org.be,attacker@evil.com"),
            ("fr",), LinkPurpose.INVITE, "https://x/p/t?l=fr", setup, "p@prevnet.example",
        )  # fmt: skip


ADDRESS_CHARS = st.characters(codec="utf-8")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    candidate=st.one_of(
        st.emails(),
        st.text(ADDRESS_CHARS, max_size=60),
        st.builds(
            lambda a, sep, b: f"{a}{sep}{b}",
            st.emails(),
            st.sampled_from([",", ";", " ", "(", ")", "<", ">", '"', "\r\n", "\n", ":", "@"]),
            st.one_of(st.emails(), st.text(ADDRESS_CHARS, max_size=20)),
        ),
    ),
    name=st.text(ADDRESS_CHARS, max_size=40),
)
def test_any_accepted_address_makes_exactly_one_recipient(candidate: str, name: str) -> None:
    try:
        address = normalise_email(candidate)
    except InvalidValue:
        return
    assert email_problem(address) is None
    for to in (mail_address(address, name), address):  # invitations / bulletins
        mail = EmailMessage()
        mail["To"] = to
        mail["Subject"] = "s"
        mail.set_content("x")
        assert extract_recipients(mail) == [address], (candidate, name)
        reparsed = mail.as_bytes()
        assert reparsed.count(b"\nTo:") + reparsed.startswith(b"To:") == 1


async def test_a_stored_bad_address_holds_back_nobody_and_mails_no_stranger(
    db: Database, territories: TerritoryRegistry, relay: Relay, tmp_path: Path
) -> None:
    """As an older prevnet may have stored them: a list, and a line break (an injected header)."""
    desk = Desk(db, territories)
    await desk.load_demo()
    mail = MailDesk(desk, relay, tmp_path)
    await mail.start()
    stored = {
        "prevention.mons": "prevention.mons@partners.example,attacker@evil.com",
        "inspecteur.mons": "inspecteur.mons@partners.example\r\nBcc: attacker@evil.com",
    }
    async with SqlUnitOfWork(db.sessions) as uow:
        for localpart, bad in stored.items():
            member = await uow.members.get(user(localpart))
            assert member is not None
            member.change(member.display_name, member.organisation, member.roles, bad)
            await uow.members.save(member)
        await uow.commit()
    for who in ("prevention.quevy", *stored):
        await mail.choose(who, "all")
    await mail.publish("green", "Rear doors forced in Hyon and Nimy in daylight")
    await mail.mail()
    assert mail.addressees() == {"prevention.quevy@partners.example"}
    assert len(mail.inbox("prevention.quevy")) == 1
    assert all(r.message["Bcc"] is None for r in relay.inbox.received)
