"""``prevnet up``: start the closed network and keep it running until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import errno
from dataclasses import replace
from pathlib import Path

import click

from prevnet.cli.app import App, run_command
from prevnet.files import secure_data_dir
from prevnet.logs import configure_logging
from prevnet.running import (
    PortInUse,
    check_port_free,
    port_message,
    read_running,
    remove_running,
    write_running,
)
from prevnet.settings import Settings
from prevnet.up import UpOptions, install_signal_handlers, run_up


def check_ports(settings: Settings) -> None:
    """Fail at once, with the option to change, when a port prevnet listens on is taken."""
    if settings.embedded_homeserver:
        check_port_free("127.0.0.1", settings.homeserver_port, "--port", "homeserver_port")
    if settings.api_port:
        check_port_free(settings.api_host, settings.api_port, "--api-port", "api_port")
    if settings.email is not None and settings.email.listen_port:
        check_port_free(
            settings.email.listen_host,
            settings.email.listen_port,
            "PREVNET_EMAIL_LISTEN_PORT",
            "[email] listen_port",
        )


@click.command("up")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the homeserver, database and keys live (default: the global --data-dir).",
)
@click.option("--port", type=int, help="The homeserver's port on 127.0.0.1 (default: 8008).")
@click.option(
    "--api-port",
    type=click.IntRange(0, 65535),
    help="The incident API's and /health's port (default: 8090, $PREVNET_API_PORT; 0: off).",
)
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
    api_port: int | None,
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
    if api_port is not None:
        settings = replace(settings, api_port=api_port)
    configure_logging(verbose, log_json)
    data = settings.data_dir.resolve()
    running = read_running(data)
    if running is not None:
        click.echo(
            f"error: prevnet up already runs on {data} (process {running.pid}, {running.url}): "
            "stop it first, or give another --data-dir",
            err=True,
        )
        raise SystemExit(1)
    try:
        check_ports(settings)
    except PortInUse as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    run_command(lambda: secure_data_dir(data))

    def ready(url: str) -> None:
        write_running(data, url, settings.api_port)
        click.echo(f"prevnet ready: {url}")
        if demo:
            accounts = settings.data_dir.resolve() / "demo-accounts.json"
            click.echo(f"demo accounts and passwords: {accounts}", err=True)

    async def main() -> None:
        stop = asyncio.Event()
        install_signal_handlers(stop)
        await run_up(settings, UpOptions(demo=demo, fast_hashing=fast_hashing), ready, stop)

    try:
        run_command(lambda: asyncio.run(main()))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        click.echo(f"error: {port_message(settings.api_port, '--api-port', 'api_port')}", err=True)
        raise SystemExit(2) from None
    finally:
        remove_running(data)
    click.echo("prevnet stopped.", err=True)
