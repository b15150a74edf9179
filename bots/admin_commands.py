"""Membership administration in the admin room: !member add, remove, suspend, role, list, invite.

Sending invitation links and telling who has never logged in are the composition root's (mail,
homeserver admin API): it hands them in as callbacks, or None when e-mail is not set up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from bots.commands import Arguments, CommandRegistry, Context, Reply, UsageError
from phenomena.email_address import email_problem, name_problem, normalise_email
from phenomena.errors import DomainError
from phenomena.partners import (
    Member,
    MemberStatus,
    Role,
    check_matrix_id,
    check_member_id,
    check_org_key,
)
from phenomena.rooms import ADMIN
from phenomena.services import partners as use
from phenomena.services.unit_of_work import UnitOfWork

UnitOfWorkFactory = Callable[[], UnitOfWork]
Clock = Callable[[], datetime]
SendLink = Callable[[str, str], Awaitable[str]]
"""E-mail a new link to ``(matrix_id, "invite" | "reset")``; the answer for the admin."""
NeverLoggedIn = Callable[[Iterable[str]], Awaitable[set[str]]]
"""Which of these members have never logged in (the homeserver knows)."""
ADMIN_ROOM = frozenset({ADMIN})
NO_EMAIL = (
    "e-mail is not set up, so no link can be sent: add an [email] table with smtp_host and "
    "from_address to the settings (or PREVNET_SMTP_HOST and PREVNET_EMAIL_FROM), then restart"
)


def _roles(text: str | None) -> frozenset[Role]:
    roles = {Role.MEMBER}
    for word in (text or "").split(","):
        if word.strip():
            roles.add(Role.parse(word))
    return frozenset(roles)


def _target(args: Arguments) -> str:
    if not args.positional:
        raise UsageError("name the member by Matrix ID")
    return check_matrix_id(args.positional[0])


def register_member_commands(
    registry: CommandRegistry,
    uow: UnitOfWorkFactory,
    clock: Clock,
    server_name: str | None = None,
    bot_id: str | None = None,
    send_link: SendLink | None = None,
    never_logged_in: NeverLoggedIn | None = None,
) -> None:
    """Add the membership commands, for admins in the admin room.

    ``server_name`` is the server prevnet serves, whose accounts alone may be added; None takes
    the server of the admin who types the command (on a closed network, the same one).
    ``bot_id`` is prevnet's own account, which is never added as a member. ``send_link`` mails
    invitation and reset links (None: e-mail is not set up); ``never_logged_in`` lets
    ``!member list`` mark who has never logged in.
    """

    def served(context: Context) -> str:
        return server_name or context.sender.partition(":")[2]

    @registry.command(
        "member add",
        needs=Role.ADMIN,
        rooms=ADMIN_ROOM,
        usage='member add @someone:server org=KEY name="Full Name" [roles=author,moderator] '
        "[email=...]",
        help="add a member (or bring one back) and join them to their rooms",
    )
    async def add(context: Context, args: Arguments) -> Reply:
        if not args.positional:
            raise UsageError("name the member by Matrix ID")
        server = served(context)
        matrix_id = check_member_id(args.positional[0], server, bot_id=bot_id)
        org, name = args.option("org"), args.option("name")
        if not org or not name:
            raise UsageError("org= and name= are required")
        email = args.option("email")
        if email is not None:
            problem = email_problem(email.strip())
            if problem is not None:
                raise UsageError(
                    f"email={email!r} is not an e-mail address: {problem}; write one plain "
                    "address, e.g. email=name@example.be"
                )
        problem = name_problem(name)
        if problem is not None:
            raise UsageError(f"name= {problem}")
        member = Member(
            matrix_id=matrix_id,
            display_name=name,
            organisation=check_org_key(org),
            roles=_roles(args.option("roles")),
            email=normalise_email(email) if email is not None else None,
        )
        async with uow() as unit:
            existed = await unit.members.get(matrix_id) is not None
        result = await use.add_member(
            uow(), member, context.sender, clock(), server_name=server, bot_id=bot_id
        )
        roles = ", ".join(result.role_names)
        text = (
            f"{matrix_id} is a member of {result.organisation} ({roles}); "
            "their account and rooms are being set up."
        )
        if existed and result.email:
            text += f" They were a member already: !member invite {matrix_id} sends a new link."
        elif result.email and send_link is not None:
            text += f" An invitation goes to {result.email} once the account is ready."
        elif result.email:
            text += f" No invitation is sent: {NO_EMAIL}."
        else:
            text += " They have no e-mail address: give them their first login yourself."
        return Reply(text)

    def _link_command(verb: str, purpose: str, text: str) -> None:
        @registry.command(
            f"member {verb}",
            needs=Role.ADMIN,
            rooms=ADMIN_ROOM,
            usage=f"member {verb} @someone:server",
            help=text,
        )
        async def handler(context: Context, args: Arguments) -> Reply:
            matrix_id = _target(args)
            if send_link is None:
                return Reply(f"Not sent: {NO_EMAIL}.")
            return Reply(await send_link(matrix_id, purpose) + ".")

    _link_command("invite", "invite", "e-mail a new invitation link (one-time, 72 hours)")
    _link_command("reset", "reset", "e-mail a link to choose a new password (forgotten one)")

    async def remove(context: Context, args: Arguments) -> str:
        matrix_id = _target(args)
        reason = " ".join(args.positional[1:])
        await use.remove_member(uow(), matrix_id, context.sender, reason, clock())
        return f"{matrix_id} is removed: out of every room, sessions ended."

    async def suspend(context: Context, args: Arguments) -> str:
        matrix_id = _target(args)
        reason = " ".join(args.positional[1:])
        await use.suspend_member(uow(), matrix_id, context.sender, reason, clock())
        return f"{matrix_id} is suspended: out of every room, sessions ended."

    async def reinstate(context: Context, args: Arguments) -> str:
        matrix_id = _target(args)
        await use.reinstate_member(uow(), matrix_id, context.sender, clock())
        return f"{matrix_id} is active again."

    status_changes = (
        ("remove", "[reason]", "take a member out of every room and end their sessions", remove),
        ("suspend", "[reason]", "lock a member out for now", suspend),
        ("reinstate", "", "let a suspended or removed member back in", reinstate),
    )
    for verb, extra, text, change in status_changes:
        _register_status_change(registry, verb, extra, text, change)

    @registry.command(
        "member role",
        needs=Role.ADMIN,
        rooms=ADMIN_ROOM,
        usage="member role @someone:server roles=author,moderator",
        help="set a member's roles",
    )
    async def role(context: Context, args: Arguments) -> Reply:
        matrix_id = _target(args)
        if args.option("roles") is None:
            raise UsageError("roles= is required")
        result = await use.set_member_roles(
            uow(), matrix_id, _roles(args.option("roles")), context.sender, clock()
        )
        return Reply(f"{matrix_id}: {', '.join(result.role_names)}")

    @registry.command(
        "member list",
        needs=Role.ADMIN,
        rooms=ADMIN_ROOM,
        usage="member list [org=KEY] [all]",
        help="list members, by organisation",
    )
    async def list_(context: Context, args: Arguments) -> Reply:
        org = args.option("org")
        statuses = None if "all" in args.positional else [MemberStatus.ACTIVE]
        async with uow() as unit:
            if org is not None and await unit.organisations.get(org) is None:
                raise DomainError(f"no organisation '{org}'")
            members = await unit.members.list(organisation=org, statuses=statuses)
        if not members:
            return Reply("No members" + (f" in {org}." if org else "."))
        never: set[str] = set()
        if never_logged_in is not None:
            never = await never_logged_in([m.matrix_id for m in members if m.is_active])
        lines = [f"{len(members)} member(s):"]
        for m in members:
            roles = ",".join(m.role_names)
            state = "" if m.is_active else f" [{m.status.value}]"
            state += " [never logged in]" if m.matrix_id in never else ""
            lines.append(f"- {m.matrix_id} {m.display_name} ({m.organisation}; {roles}){state}")
        if never:
            lines.append(f"{len(never)} never logged in: !member invite @id sends a new link.")
        return Reply("\n".join(lines))


def _register_status_change(
    registry: CommandRegistry,
    verb: str,
    extra: str,
    text: str,
    change: Callable[[Context, Arguments], Awaitable[str]],
) -> None:
    async def handler(context: Context, args: Arguments) -> Reply:
        return Reply(await change(context, args))

    registry.command(
        f"member {verb}",
        needs=Role.ADMIN,
        rooms=ADMIN_ROOM,
        usage=f"member {verb} @someone:server {extra}".rstrip(),
        help=text,
    )(handler)


def register_reconcile_command(
    registry: CommandRegistry, reconcile: Callable[[], Awaitable[str]]
) -> None:
    """Add ``!reconcile``: compare the homeserver with the registry now and repair it."""

    @registry.command(
        "reconcile",
        needs=Role.ADMIN,
        rooms=ADMIN_ROOM,
        usage="reconcile",
        help="compare the homeserver with the registry now, repair it and report",
    )
    async def run(context: Context, args: Arguments) -> Reply:
        return Reply(await reconcile())
