"""``prevnet db`` and ``prevnet audit``: the database schema and the audit log."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import click

from phenomena.services.unit_of_work import AuditEntry
from phenomena.storage.backup import backup, is_encrypted, restore
from phenomena.storage.database import Database
from phenomena.storage.retention import PurgeReport, purge_personal_data
from prevnet.cli.app import App, now


@click.group()
def db() -> None:
    """The database."""


@db.command("upgrade")
@click.pass_obj
def upgrade(app: App) -> None:
    """Create or migrate the database schema to this version of prevnet (idempotent)."""

    async def go() -> str | None:
        return await (await app.database()).revision()

    revision = app.run(go)
    click.echo(f"database at revision {revision} (newest: {Database.head()})")


@click.command("audit")
@click.option("--limit", default=50, show_default=True, help="How many entries, newest first.")
@click.option("--subject", default=None, help="Only actions on this member or object.")
@click.pass_obj
def audit(app: App, limit: int, subject: str | None) -> None:
    """Show the audit log of admin actions: who did what, to whom, when."""

    async def go() -> list[AuditEntry]:
        async with await app.uow() as uow:
            return list(await uow.audit.list(limit=limit, subject=subject))

    entries = app.run(go)
    if not entries:
        click.echo("the audit log is empty")
    for e in entries:
        details = json.dumps(e.details, ensure_ascii=False, sort_keys=True)
        click.echo(
            f"{e.at:%Y-%m-%d %H:%M:%S}Z  {e.actor:<24} {e.action:<18} {e.subject}  {details}"
        )


PASSPHRASE_ENV = "PREVNET_BACKUP_PASSPHRASE"  # noqa: S105 - the variable's name
_PASSPHRASE_FILE = click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"Read the passphrase from this file (else ${PASSPHRASE_ENV}, else it is asked for).",
)


def backup_passphrase(passphrase_file: Path | None, confirm: bool) -> str:
    """The backup passphrase: from a file, the environment, or typed (never an argument)."""
    if passphrase_file is not None:
        text = passphrase_file.read_text(encoding="utf-8").rstrip("\r\n")
    elif os.environ.get(PASSPHRASE_ENV):
        text = os.environ[PASSPHRASE_ENV]
    else:
        text = click.prompt(
            "backup passphrase", hide_input=True, confirmation_prompt=confirm, err=True
        )
    if not text:
        raise click.UsageError(
            f"the passphrase is empty: write one in --passphrase-file or ${PASSPHRASE_ENV}"
        )
    return text


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--encrypt", is_flag=True, help="Encrypt with a passphrase (scrypt and Fernet).")
@_PASSPHRASE_FILE
@click.pass_obj
def backup_command(app: App, file: Path, encrypt: bool, passphrase_file: Path | None) -> None:
    """Write prevnet's database to FILE (gzip JSON lines, owner-only; restores on SQLite or
    PostgreSQL). It holds TLP:RED text and personal data: keep it private, or --encrypt it."""
    passphrase = backup_passphrase(passphrase_file, confirm=True) if encrypt else None

    async def go() -> dict[str, int]:
        return await backup(await app.database(), file, passphrase)

    counts = app.run(go)
    how = "encrypted, " if encrypt else ""
    click.echo(
        f"{sum(counts.values())} rows from {len(counts)} tables written to {file} "
        f"({how}readable by you only)"
    )


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_PASSPHRASE_FILE
@click.pass_obj
def restore_command(app: App, file: Path, passphrase_file: Path | None) -> None:
    """Load a backup into an empty database (a new data directory or database URL).

    An encrypted backup asks for its passphrase (or reads --passphrase-file or the environment).
    """
    passphrase = backup_passphrase(passphrase_file, confirm=False) if is_encrypted(file) else None

    async def go() -> dict[str, int]:
        return await restore(await app.database(), file, passphrase)

    counts = app.run(go)
    click.echo(f"{sum(counts.values())} rows restored into {len(counts)} tables")


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be purged; change nothing.")
@click.pass_obj
def purge_command(app: App, dry_run: bool) -> None:
    """Purge personal data older than the retention period (retention_days, default 365), and
    the citizen capsules of the alerts purged."""
    cutoff = now() - timedelta(days=app.settings.retention_days)

    async def go() -> PurgeReport:
        return await purge_personal_data(await app.database(), cutoff, dry_run=dry_run)

    report = app.run(go)
    verb = "would purge" if dry_run else "purged"
    click.echo(
        f"{verb}: {report.alerts} closed alert(s), {report.drafts} draft(s), "
        f"{report.acknowledgements} acknowledgement(s), {report.incidents} incident text(s) "
        f"ended before {cutoff:%Y-%m-%d}; with those alerts, {report.capsules} citizen capsule(s)"
    )
