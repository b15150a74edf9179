"""``prevnet outbox``: the events delivery gave up on (dead letters), those still failing, and
the e-mails whose fate is unknown (the relay failed while it had them)."""

from __future__ import annotations

from collections.abc import Sequence

import click

from phenomena.storage.dead_letters import DeadLetters
from phenomena.storage.email_deliveries import STUCK_AFTER, EmailSend, SqlEmailDeliveries
from phenomena.storage.outbox import DEAD, OutboxEntry
from prevnet.cli.app import App, default_actor, now


@click.group()
def outbox() -> None:
    """Events that could not be delivered: list, retry or drop them."""


def _line(entry: OutboxEntry) -> str:
    about = f" ({entry.subject})" if entry.subject else ""
    when = (
        f"dead since {entry.changed_at:%Y-%m-%d %H:%M:%S}Z"
        if entry.state == DEAD
        else f"retrying, next attempt {entry.changed_at:%Y-%m-%d %H:%M:%S}Z"
    )
    return (
        f"#{entry.id:<6} {entry.event_type}{about} for {entry.consumer}: "
        f"{entry.attempts} attempt(s), {when}\n        {entry.reason or '(no reason recorded)'}"
    )


def _mail_line(mail: EmailSend) -> str:
    about = f" for alert #{mail.alert_id}" if mail.alert_id is not None else ""
    return (
        f"  {mail.kind}{about} to {mail.member}, claimed {mail.claimed_at:%Y-%m-%d %H:%M:%S}Z "
        f"{mail.message_id}\n        {mail.last_error or 'never marked: prevnet stopped mid-send'}"
    )


@outbox.command("list")
@click.pass_obj
def list_(app: App) -> None:
    """Dead letters, events still failing, and e-mails of unknown fate, with the reason."""

    async def go() -> tuple[Sequence[OutboxEntry], list[EmailSend]]:
        db = await app.database()
        failed = await DeadLetters(db, now).failed()
        return failed, await SqlEmailDeliveries(db).unfinished(now() - STUCK_AFTER)

    entries, mails = app.run(go)
    if mails:
        click.echo(
            f"{len(mails)} e-mail(s) of unknown fate: the relay may or may not have sent them, "
            "and prevnet never sends them again (ask the member, or check the relay's log):"
        )
        for mail in mails:
            click.echo(_mail_line(mail))
    if not entries:
        click.echo("no dead letters and no event failing: delivery is up to date")
        return
    dead = sum(1 for e in entries if e.state == DEAD)
    click.echo(f"{dead} dead letter(s), {len(entries) - dead} event(s) still being retried:")
    for entry in entries:
        click.echo(_line(entry))
    if dead:
        click.echo(
            "fix the cause, then `prevnet outbox retry ID` (or --all); "
            "`prevnet outbox drop ID` gives one up for good"
        )


@outbox.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Every dead letter.")
@click.option("--actor", default=None, help="Who to name in the audit log (default: cli:<you>).")
@click.pass_obj
def retry(app: App, ids: tuple[int, ...], every: bool, actor: str | None) -> None:
    """Make dead letters (or events still failing) due now, their attempts counted from zero.

    A running `prevnet up` delivers them within a second or so.
    """
    if every == bool(ids):
        raise click.UsageError("give the ID(s) to retry (see `prevnet outbox list`), or --all")

    async def go() -> list[OutboxEntry]:
        letters = DeadLetters(await app.database(), now)
        return await letters.retry(None if every else list(ids), actor or default_actor())

    retried = app.run(go)
    if not retried:
        click.echo("no dead letters to retry")
    for entry in retried:
        click.echo(f"#{entry.id} {entry.event_type} for {entry.consumer}: pending again")


@outbox.command("drop")
@click.argument("event_id", metavar="ID", type=int)
@click.option("--actor", default=None, help="Who to name in the audit log (default: cli:<you>).")
@click.pass_obj
def drop(app: App, event_id: int, actor: str | None) -> None:
    """Give up on one event for good: it is kept, marked dropped, and never delivered."""

    async def go() -> OutboxEntry:
        return await DeadLetters(await app.database(), now).drop(event_id, actor or default_actor())

    entry = app.run(go)
    click.echo(
        f"#{entry.id} {entry.event_type} for {entry.consumer} is dropped: it will not be "
        "delivered (recorded in the audit log)"
    )
