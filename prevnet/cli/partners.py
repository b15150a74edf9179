"""``prevnet partners``, ``prevnet members`` and ``prevnet member``: the partner registry."""

from __future__ import annotations

from typing import IO

import aiohttp
import click

from bots.synapse_admin import SynapseAdmin
from phenomena.email_address import name_problem, normalise_email
from phenomena.errors import InvalidValue
from phenomena.partners import Member, MemberStatus, Role, check_member_id, check_org_key
from phenomena.partners_file import parse_partner_file
from phenomena.services import partners as use
from phenomena.storage.password_links import LinkPurpose
from prevnet.bot_account import BOT_LOCALPART
from prevnet.cli.app import App, default_actor, now, run_command
from prevnet.login_status import never_logged_in
from prevnet.mail.invitation_service import link_sent_text
from prevnet.mail.invitations import build_invitations
from prevnet.matrix_session import bot_access
from prevnet.running import read_running
from prevnet.settings import SettingsError


def bot_id(app: App) -> str:
    """prevnet's own account on the server it serves, which is never a member."""
    return f"@{BOT_LOCALPART}:{app.settings.server_name}"


@click.group()
def partners() -> None:
    """Partner organisations."""


@partners.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--actor", default=None, help="Who to name in the audit log (default: cli:<you>).")
@click.pass_obj
def import_(app: App, file: IO[str], actor: str | None) -> None:
    """Load organisations and members from a YAML partner file (all or nothing).

    Re-importing the same file changes nothing; a file with errors changes nothing and lists
    every error with its line.
    """
    text = file.read()
    server, bot = app.settings.server_name, bot_id(app)
    document = run_command(
        lambda: parse_partner_file(text, app.territories, server_name=server, bot_id=bot)
    )

    async def go() -> use.ImportReport:
        return await use.import_partners(
            await app.uow(),
            document,
            actor or default_actor(),
            now(),
            server_name=server,
            bot_id=bot,
        )

    report = app.run(go)
    click.echo(
        f"organisations: {len(report.organisations_added)} added, "
        f"{len(report.organisations_changed)} changed, {report.organisations_unchanged} unchanged"
    )
    click.echo(
        f"members: {len(report.members_added)} added, {len(report.members_changed)} changed, "
        f"{report.members_unchanged} unchanged, {len(report.members_skipped)} left alone"
    )
    for skipped in report.members_skipped:
        click.echo(f"  left alone: {skipped}")
    if not report.changed_anything:
        click.echo("nothing changed.")
    if report.members_added:
        click.echo(_invitation_note(app, "the new members with an e-mail address"))


def _invitation_note(app: App, who: str) -> str:
    """What happens about invitations once members are added."""
    if app.settings.email is None:
        return (
            f"no invitation e-mail for {who}: e-mail is not set up (add an [email] table with "
            "smtp_host and from_address, or PREVNET_SMTP_HOST and PREVNET_EMAIL_FROM), then "
            "`prevnet member invite @id`"
        )
    return f"`prevnet up` e-mails an invitation to {who} once their account is ready"


@partners.command("list")
@click.pass_obj
def list_partners(app: App) -> None:
    """List partner organisations with their kind, territories and member count."""

    async def go() -> list[str]:
        async with await app.uow() as uow:
            orgs = await uow.organisations.list()
            active = await uow.members.list(statuses=[MemberStatus.ACTIVE])
        counts: dict[str, int] = {}
        for m in active:
            counts[m.organisation] = counts.get(m.organisation, 0) + 1
        return [
            f"{o.key:<28} {o.kind.value:<12} {counts.get(o.key, 0):>4} members  {o.name}"
            + (
                f"\n{'':<28} covers: {', '.join(str(t) for t in o.territories)}"
                if o.territories
                else ""
            )
            for o in orgs
        ]

    lines = app.run(go)
    click.echo(
        "\n".join(lines)
        if lines
        else "no partner organisations yet: `prevnet partners import FILE`"
    )


@click.group()
def members() -> None:
    """Members of the partner organisations."""


@members.command("list")
@click.option("--org", "organisation", help="Only the members of this organisation (its key).")
@click.option("--all", "show_all", is_flag=True, help="Include suspended and removed members.")
@click.pass_obj
def list_members(app: App, organisation: str | None, show_all: bool) -> None:
    """List members: Matrix ID, organisation, roles and status."""
    statuses = None if show_all else [MemberStatus.ACTIVE]

    async def go() -> list[Member]:
        async with await app.uow() as uow:
            return list(await uow.members.list(organisation=organisation, statuses=statuses))

    found = app.run(go)
    if not found:
        click.echo("no members" + (f" in {organisation}" if organisation else "") + " yet")
        return
    never, note = _login_status(app, [m.matrix_id for m in found if m.is_active])
    for m in found:
        roles = ",".join(m.role_names)
        status = "" if m.is_active else f"  [{m.status.value}]"
        status += "  [never logged in]" if m.matrix_id in never else ""
        click.echo(f"{m.matrix_id:<40} {m.organisation:<24} {roles:<28} {m.display_name}{status}")
    if never:
        click.echo(f"{len(never)} never logged in: `prevnet member invite @id` sends a new link")
    if note:
        click.echo(note)


def _login_status(app: App, matrix_ids: list[str]) -> tuple[set[str], str | None]:
    """Who has never logged in, from the running homeserver; or why it cannot be told."""
    if not matrix_ids:
        return set(), None
    try:
        access = bot_access(app.settings)
    except SettingsError:
        return set(), "(who has never logged in shows while `prevnet up` runs)"

    async def go() -> set[str]:
        async with aiohttp.ClientSession() as http:
            admin = SynapseAdmin(http, access.url, access.session.access_token, max_attempts=2)
            return await never_logged_in(admin, matrix_ids)

    try:
        return app.run(go), None
    except (aiohttp.ClientError, OSError, SystemExit):
        return set(), f"(the homeserver at {access.url} did not answer: login status unknown)"


def _roles(text: str) -> frozenset[Role]:
    return frozenset(Role.parse(r) for r in text.split(",") if r.strip()) | {Role.MEMBER}


@click.group()
def member() -> None:
    """Add, change, suspend or remove one member (recorded in the audit log)."""


@member.command("add")
@click.argument("matrix_id")
@click.option("--org", "organisation", required=True, help="The organisation's key.")
@click.option("--name", "display_name", required=True, help="The display name.")
@click.option("--roles", default="member", show_default=True, help="Comma-separated roles.")
@click.option("--email", default=None, help="E-mail, to match the toolbox account.")
@click.option("--actor", default=None, help="Who to name in the audit log.")
@click.pass_obj
def add(
    app: App,
    matrix_id: str,
    organisation: str,
    display_name: str,
    roles: str,
    email: str | None,
    actor: str | None,
) -> None:
    """Add a member (or reinstate and update one who left)."""

    server, bot = app.settings.server_name, bot_id(app)

    def build() -> Member:
        address = None
        if email is not None:
            try:
                address = normalise_email(email)
            except InvalidValue as exc:
                raise InvalidValue(f"--email {exc}") from None
        problem = name_problem(display_name)
        if problem is not None:
            raise InvalidValue(f"--name {display_name!r}: {problem}")
        return Member(
            matrix_id=check_member_id(matrix_id, server, bot_id=bot),
            display_name=display_name.strip(),
            organisation=check_org_key(organisation),
            roles=_roles(roles),
            email=address,
        )

    new = run_command(build)

    async def go() -> tuple[Member, bool]:
        async with await app.uow() as unit:
            existed = await unit.members.get(new.matrix_id) is not None
        added = await use.add_member(
            await app.uow(), new, actor or default_actor(), now(), server_name=server, bot_id=bot
        )
        return added, existed

    result, existed = app.run(go)
    click.echo(f"{result.matrix_id} is a member of {result.organisation}")
    if result.email and existed:
        click.echo(f"a member already: `prevnet member invite {result.matrix_id}` sends a new link")
    elif result.email:
        click.echo(_invitation_note(app, result.email))


def _link_command(name: str, purpose: LinkPurpose, doc: str) -> click.Command:
    @click.command(name, help=doc)
    @click.argument("matrix_id")
    @click.pass_obj
    def command(app: App, matrix_id: str) -> None:
        run_command(lambda: app.settings.require_email("a link"))
        running = read_running(app.settings.data_dir.resolve())
        homeserver = app.settings.homeserver_url or (
            running.url if running else f"http://127.0.0.1:{app.settings.homeserver_port}"
        )

        async def go() -> str:
            db = await app.database()
            invitations = build_invitations(app.settings, db, app.territories, homeserver)
            assert invitations is not None  # require_email passed
            return link_sent_text(await invitations.send_link(matrix_id, purpose), purpose)

        click.echo(app.run(go))

    return command


@member.command("role")
@click.argument("matrix_id")
@click.argument("roles")
@click.option("--actor", default=None, help="Who to name in the audit log.")
@click.pass_obj
def role(app: App, matrix_id: str, roles: str, actor: str | None) -> None:
    """Set a member's roles, e.g. `prevnet member role @a:server author,moderator`."""
    wanted = run_command(lambda: _roles(roles))

    async def go() -> Member:
        return await use.set_member_roles(
            await app.uow(), matrix_id, wanted, actor or default_actor(), now()
        )

    result = app.run(go)
    click.echo(f"{result.matrix_id}: {', '.join(result.role_names)}")


def _status_command(name: str, verb: str, doc: str) -> click.Command:
    @click.command(name, help=doc)
    @click.argument("matrix_id")
    @click.option("--reason", default="", help="Why (kept in the audit log).")
    @click.option("--actor", default=None, help="Who to name in the audit log.")
    @click.pass_obj
    def command(app: App, matrix_id: str, reason: str, actor: str | None) -> None:
        async def go() -> Member:
            who = actor or default_actor()
            uow = await app.uow()
            if name == "suspend":
                return await use.suspend_member(uow, matrix_id, who, reason, now())
            if name == "remove":
                return await use.remove_member(uow, matrix_id, who, reason, now())
            return await use.reinstate_member(uow, matrix_id, who, now())

        result = app.run(go)
        click.echo(f"{result.matrix_id} {verb}")

    return command


member.add_command(_status_command("suspend", "is suspended", "Lock a member out for now."))
member.add_command(
    _status_command("remove", "is removed", "Take a member out of the network (messages stay).")
)
member.add_command(
    _status_command("reinstate", "is active again", "Let a suspended or removed member back in.")
)

member.add_command(
    _link_command(
        "invite",
        LinkPurpose.INVITE,
        "E-mail a new invitation: a one-time link (72 hours) to choose a password.",
    )
)
member.add_command(
    _link_command(
        "reset",
        LinkPurpose.RESET,
        "E-mail a link to choose a new password (a forgotten one); earlier links stop working.",
    )
)
