"""``prevnet homeserver-config``: the closed Synapse configuration for the compose stack."""

from __future__ import annotations

from pathlib import Path

import click

from prevnet.cli.app import run_command
from prevnet.homeserver import DeploymentOptions, write_deployment_config


@click.command("homeserver-config")
@click.option(
    "--server-name", required=True, help="The Matrix server name, e.g. prevnet.example.be."
)
@click.option(
    "--public-url",
    required=True,
    help="Where clients reach Synapse, e.g. https://matrix.example.be.",
)
@click.option(
    "--db-password",
    envvar="SYNAPSE_DB_PASSWORD",
    required=True,
    help="The Synapse database password (default: $SYNAPSE_DB_PASSWORD, as in .env).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("deploy/synapse"),
    show_default=True,
    help="The directory docker-compose.yml mounts into the Synapse container.",
)
def homeserver_config(server_name: str, public_url: str, db_password: str, out: Path) -> None:
    """Write homeserver.yaml, its log configuration, secrets and signing key (owner-only)."""
    if not public_url.startswith(("https://", "http://")):
        raise click.BadParameter("write the URL with its scheme: https://matrix.example.be")
    path = run_command(
        lambda: write_deployment_config(
            out, DeploymentOptions(server_name, public_url, db_password)
        )
    )
    click.echo(f"wrote {path} (closed: no federation, no registration); keep {out} private")
    click.echo(
        "the container runs Synapse as uid 991: "
        f"sudo chown -R 991:991 {out} before 'docker compose up'"
    )
