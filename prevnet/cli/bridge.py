"""``prevnet bridge``: run the Discourse toolbox bridge until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import click

from prevnet.bridge_service import run_bridge
from prevnet.cli.app import App, run_command
from prevnet.logs import configure_logging
from prevnet.up import install_signal_handlers


@click.command("bridge")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the database lives when it is SQLite (default: the global --data-dir).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log what the bridge does.")
@click.option("--log-json", is_flag=True, help="Log JSON lines (secrets are always masked).")
@click.pass_obj
def bridge(app: App, data_dir: Path | None, verbose: bool, log_json: bool) -> None:
    """Sync alerts, replies and groups with Discourse. Prints 'prevnet bridge ready: URL'."""
    settings = app.settings
    if data_dir is not None:
        settings = replace(settings, data_dir=data_dir)
    configure_logging(verbose, log_json)

    def ready(url: str) -> None:
        click.echo(f"prevnet bridge ready: {url}", nl=True)

    async def main() -> None:
        stop = asyncio.Event()
        install_signal_handlers(stop)
        await run_bridge(settings, ready, stop)

    run_command(lambda: asyncio.run(main()))
    click.echo("prevnet bridge stopped.", err=True)
