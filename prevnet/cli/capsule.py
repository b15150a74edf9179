"""``prevnet capsule A-12 --as @id``, ``prevnet capsule show|edit|approve|letter C-3``: citizen
capsules from the command line, under the same rules as ``!capsule`` in chat (the member named
with ``--as`` must be allowed to do it; four eyes hold here too). ``resubscribe`` lets a BIN/PLP
coordinator who unsubscribed get capsule mails again.

An approval that publishes queues the capsule in the outbox; the running ``prevnet up`` posts
and mails it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import click

from bots.alert_desk import AlertDesk
from bots.capsule_commands import CapsuleDesk, parse_streets
from bots.capsule_replies import render, state_line
from phenomena.capsules.files import CapsuleFile
from phenomena.capsules.said import Said
from phenomena.capsules.service import CapsuleRecord
from phenomena.errors import NotFound
from phenomena.partners import Member
from phenomena.storage.bulletins import SqlBulletinLedger
from phenomena.storage.capsules import SqlCapsules
from phenomena.storage.unit_of_work import SqlUnitOfWork, utc_now
from prevnet.capsule_files import letter_file
from prevnet.cli.app import App

AS_HELP = (
    "The member this is done as (their rights apply), e.g. @prevention.mons:prevnet.localhost."
)


class _CapsuleGroup(click.Group):
    """``prevnet capsule A-12`` drafts; the other words are sub-commands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["draft", *args]
        return super().parse_args(ctx, args)


@click.group("capsule", cls=_CapsuleGroup)
def capsule() -> None:
    """Citizen capsules: draft from a CLEAR or GREEN alert, show, edit, approve."""


def _run(app: App, as_member: str, action: Callable[[CapsuleDesk, Member], Awaitable[str]]) -> str:
    async def go() -> str:
        db = await app.database()
        alerts = AlertDesk(
            uow=lambda once: SqlUnitOfWork(db.sessions, once=once),
            territories=app.territories,
            policy=app.settings.moderation,
            clock=utc_now,
            ledger=SqlBulletinLedger(db),
        )
        desk = CapsuleDesk(
            alerts,
            SqlCapsules(db),
            app.settings.capsules.capsules_per_week,
            app.settings.timezone,
            utc_now,
            letter_of=letter_file,
        )
        async with SqlUnitOfWork(db.sessions) as unit:
            member = await unit.members.get(as_member.strip())
        if member is None or not member.is_active:
            raise NotFound(f"{as_member} is not an active member: name yourself with --as @id")
        return await action(desk, member)

    return app.run(go)


def _shown(record: CapsuleRecord, headline: Said | str) -> str:
    return render(record, headline).text


@capsule.command("draft")
@click.argument("alert_ref")
@click.option("--as", "as_member", required=True, help=AS_HELP)
@click.option("--commune", help="One of the alert's municipalities (default: yours, or its first).")
@click.pass_obj
def draft(app: App, alert_ref: str, as_member: str, commune: str | None) -> None:
    """Draft the capsule of ALERT_REF (A-12) and print it with the screen's findings."""

    async def act(desk: CapsuleDesk, member: Member) -> str:
        record = await desk.draft(member, alert_ref, commune)
        return _shown(record, f"Draft {record.ref} of {alert_ref.upper()}. {state_line(record)}")

    click.echo(_run(app, as_member, act))


@capsule.command("show")
@click.argument("capsule_ref")
@click.option("--as", "as_member", required=True, help=AS_HELP)
@click.pass_obj
def show(app: App, capsule_ref: str, as_member: str) -> None:
    """Print a capsule (C-3), where it stands, and the screen's findings."""

    async def act(desk: CapsuleDesk, member: Member) -> str:
        record = await desk.readable(member, capsule_ref)
        return _shown(record, state_line(record))

    click.echo(_run(app, as_member, act))


@capsule.command("edit")
@click.argument("capsule_ref")
@click.argument("change", nargs=-1, required=True)
@click.option("--as", "as_member", required=True, help=AS_HELP)
@click.pass_obj
def edit(app: App, capsule_ref: str, change: tuple[str, ...], as_member: str) -> None:
    """Change a part: prevnet capsule edit C-3 [fr] short: New text (approval starts over)."""

    async def act(desk: CapsuleDesk, member: Member) -> str:
        record = await desk.edit(member, capsule_ref, " ".join(change))
        return _shown(record, f"Changed. {state_line(record)}")

    click.echo(_run(app, as_member, act))


@capsule.command("approve")
@click.argument("capsule_ref")
@click.option("--as", "as_member", required=True, help=AS_HELP)
@click.pass_obj
def approve(app: App, capsule_ref: str, as_member: str) -> None:
    """Approve a capsule someone else drafted (four eyes)."""

    async def act(desk: CapsuleDesk, member: Member) -> str:
        record = await desk.approve(member, capsule_ref)
        return f"Approved. {state_line(record)}"

    click.echo(_run(app, as_member, act))


@capsule.command("letter")
@click.argument("capsule_ref")
@click.option("--as", "as_member", required=True, help=AS_HELP)
@click.option(
    "--streets",
    default="",
    help="The streets it goes to, separated by commas (default: those around the cluster).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    help="The directory the PDF is written to (default: here).",
)
@click.pass_obj
def letter(app: App, capsule_ref: str, as_member: str, streets: str, out_dir: Path) -> None:
    """Write the cocoon letter of C-3 (one PDF per language): only when detection proposed its
    alert, for the streets around the cluster."""

    made: list[CapsuleFile] = []

    async def act(desk: CapsuleDesk, member: Member) -> str:
        named = parse_streets(f"streets: {streets}") if streets.strip() else []
        record, files = await desk.letters(member, capsule_ref, named)
        made.extend(files)
        return record.ref

    ref = _run(app, as_member, act)
    out_dir.mkdir(parents=True, exist_ok=True)
    for file in made:
        (out_dir / file.name).write_bytes(file.data)
    written = ", ".join(str(out_dir / f.name) for f in made)
    click.echo(f"The cocoon letter of {ref}: {written}")


@capsule.command("resubscribe")
@click.argument("address")
@click.pass_obj
def resubscribe(app: App, address: str) -> None:
    """Send capsule mails again to ADDRESS, a coordinator who unsubscribed."""

    async def go() -> bool:
        return await SqlCapsules(await app.database()).opt_in(address)

    if app.run(go):
        click.echo(f"{address} gets capsule mails again.")
    else:
        click.echo(f"{address} had not unsubscribed: nothing to change.")
