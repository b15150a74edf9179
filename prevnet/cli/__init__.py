"""The ``prevnet`` command line: one group, with sub-commands in modules named for their topic."""

from __future__ import annotations

from pathlib import Path

import click

from prevnet.cli.alerts import alert
from prevnet.cli.app import App, run_command
from prevnet.cli.bot import bot
from prevnet.cli.bridge import bridge
from prevnet.cli.capsule import capsule
from prevnet.cli.db import audit, backup_command, db, purge_command, restore_command
from prevnet.cli.detect import detect
from prevnet.cli.duty import duty
from prevnet.cli.homeserver import homeserver_config
from prevnet.cli.incidents import incidents
from prevnet.cli.member_prefs import prefs
from prevnet.cli.outbox import outbox
from prevnet.cli.partners import member, members, partners
from prevnet.cli.reconcile import reconcile
from prevnet.cli.report import report
from prevnet.cli.territory import territory
from prevnet.cli.up import up
from prevnet.files import private_umask
from prevnet.settings import load_settings


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Settings file (TOML); default: $PREVNET_CONFIG, if set.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where prevnet keeps its database and homeserver (default: ./data).",
)
@click.option("--database-url", help="PostgreSQL or SQLite URL (default: SQLite in the data dir).")
@click.pass_context
def cli(
    ctx: click.Context, config_file: Path | None, data_dir: Path | None, database_url: str | None
) -> None:
    """prevnet: a closed network for crime-prevention partners.

    Territories, partners and phenomenon alerts from the command line.
    """
    settings = run_command(
        lambda: load_settings(
            config_file, overrides={"data_dir": data_dir, "database_url": database_url}
        )
    )
    ctx.obj = App(settings)
    ctx.call_on_close(ctx.obj.close)


cli.add_command(territory)
cli.add_command(alert)
cli.add_command(partners)
cli.add_command(members)
cli.add_command(member)
member.add_command(prefs)
cli.add_command(db)
cli.add_command(audit)
cli.add_command(up)
cli.add_command(bridge)
cli.add_command(homeserver_config)
cli.add_command(reconcile)
cli.add_command(incidents)
cli.add_command(detect)
cli.add_command(backup_command)
cli.add_command(restore_command)
cli.add_command(purge_command)
cli.add_command(outbox)
cli.add_command(duty)
cli.add_command(report)
cli.add_command(capsule)
cli.add_command(bot)


def main() -> None:
    """Entry point of the ``prevnet`` console script (what it writes is owner-only)."""
    private_umask()
    cli(prog_name="prevnet")
