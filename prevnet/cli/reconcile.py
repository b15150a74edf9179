"""``prevnet reconcile``: make the homeserver match the registry now, with a progress bar."""

from __future__ import annotations

import click

from bots.network import ReconcileReport
from bots.room_repair import stored_recipients
from phenomena.storage.room_directory import SqlRoomDirectory
from phenomena.storage.unit_of_work import SqlUnitOfWork
from prevnet.cli.app import App
from prevnet.matrix_session import matrix_network
from prevnet.wiring import load_registry


def show_progress(step: int, total: int) -> None:
    """One self-overwriting line on stderr: ``reconciling: 1200/5200 (23%)``."""
    percent = 100 * step // max(total, 1)
    click.echo(f"\rreconciling: {step}/{total} ({percent}%)", err=True, nl=False)


@click.command("reconcile")
@click.pass_obj
def reconcile(app: App) -> None:
    """Create missing rooms and accounts, fix memberships and power levels, report intruders.

    Needs the running network (`prevnet up`). Safe to interrupt and run again.
    """

    async def go() -> ReconcileReport:
        db = await app.database()
        members, organisations = await load_registry(lambda: SqlUnitOfWork(db.sessions))
        directory = SqlRoomDirectory(db)
        recipients = stored_recipients(lambda: SqlUnitOfWork(db.sessions))
        async with matrix_network(app.settings, app.territories, directory, recipients) as network:
            report = await network.reconcile(members, organisations, show_progress)
            click.echo("", err=True)
            return report

    report = app.run(go)
    click.echo(report.summary())
