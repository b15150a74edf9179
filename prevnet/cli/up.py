"""``prevnet up``: start the closed network and keep it running until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import click

from prevnet.cli.app import App, run_command
from prevnet.logs import configure_logging
from prevnet.up import UpOptions, install_signal_handlers, run_up


@click.command("up")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the homeserver, database and keys live (default: the global --data-dir).",
)
@click.option("--port", type=int, help="The homeserver's port on 127.0.0.1 (default: 8008).")
@click.option("--demo", is_flag=True, help="Seed a demo registry and write demo-accounts.json.")
@click.option(
    "--fast-hashing",
    is_flag=True,
    help="Cheap password hashing (tests and demos on small machines only).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log what prevnet does.")
@click.option("--log-json", is_flag=True, help="Log JSON lines (secrets are always masked).")
@click.pass_obj
def up(
    app: App,
    data_dir: Path | None,
    port: int | None,
    demo: bool,
    fast_hashing: bool,
    verbose: bool,
    log_json: bool,
) -> None:
    """Start the network: homeserver, bots and scheduler. Prints 'prevnet ready: URL'."""
    settings = app.settings
    if data_dir is not None:
        settings = replace(settings, data_dir=data_dir)
    if port is not None:
        settings = replace(settings, homeserver_port=port)
    configure_logging(verbose, log_json)

    def ready(url: str) -> None:
        click.echo(f"prevnet ready: {url}")
        if demo:
            accounts = settings.data_dir.resolve() / "demo-accounts.json"
            click.echo(f"demo accounts and passwords: {accounts}", err=True)

    async def main() -> None:
        stop = asyncio.Event()
        install_signal_handlers(stop)
        await run_up(settings, UpOptions(demo=demo, fast_hashing=fast_hashing), ready, stop)

    run_command(lambda: asyncio.run(main()))
    click.echo("prevnet stopped.", err=True)
