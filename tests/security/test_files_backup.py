"""Backups are owner-only, and ``--encrypt`` keeps alert text out of the file.

Found: backups were written world-readable and held TLP:RED text in clear.
"""

from __future__ import annotations

import gzip
import os
import shutil
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from phenomena.alert_text import parse_alert_text
from phenomena.partners_file import parse_partner_file
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy
from phenomena.services.partners import import_partners
from phenomena.storage.backup import BackupError, backup, is_encrypted, restore
from phenomena.storage.database import Database, sqlite_url
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.cli import cli
from tests.unit.test_alert_text import EXAMPLE
from tests.unit.test_partners_file import GOOD

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)
SECRET_TEXT = "Wave of burglaries in Hyon and Nimy"
EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """As an administrator's shell usually has it: new files world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def with_alert(db: Database, territories: TerritoryRegistry) -> None:
    await import_partners(
        SqlUnitOfWork(db.sessions), parse_partner_file(GOOD, territories), "t", NOW
    )
    await use.create_alert(
        SqlUnitOfWork(db.sessions),
        parse_alert_text(EXAMPLE, territories),
        "@alice:prevnet.example",
        territories,
        ModerationPolicy(),
        NOW,
    )


async def test_a_backup_is_owner_only_even_over_a_readable_file(
    db: Database, territories: TerritoryRegistry, tmp_path: Path, loose_umask: None
) -> None:
    await with_alert(db, territories)
    fresh, existing = tmp_path / "new.gz", tmp_path / "old.gz"
    existing.write_text("an older, world-readable backup")
    assert mode(existing) == 0o644
    for path in (fresh, existing):
        await backup(db, path)
        assert mode(path) == 0o600
    with gzip.open(fresh, "rt") as plain:
        assert SECRET_TEXT in plain.read()  # what an unencrypted backup gives away


async def test_an_encrypted_backup_hides_the_text_and_needs_its_passphrase(
    db: Database,
    territories: TerritoryRegistry,
    tmp_path: Path,
    sqlite_template: Path,
    loose_umask: None,
) -> None:
    await with_alert(db, territories)
    path = tmp_path / "backup.enc"
    written = await backup(db, path, passphrase="correct horse battery staple")
    raw = path.read_bytes()
    assert mode(path) == 0o600 and is_encrypted(path)
    for word in (SECRET_TEXT, "Hyon", "residential-burglary", "alice"):
        assert word.encode() not in raw
    with pytest.raises(OSError, match="Not a gzipped file"):
        gzip.decompress(raw)

    target_path = tmp_path / "restored.sqlite3"
    shutil.copy(sqlite_template, target_path)
    target = Database.connect(sqlite_url(target_path))
    try:
        with pytest.raises(BackupError, match="wrong passphrase"):
            await restore(target, path, passphrase="wrong horse")
        with pytest.raises(BackupError, match="is encrypted: give its passphrase"):
            await restore(target, path)
        assert await restore(target, path, passphrase="correct horse battery staple") == written
        async with SqlUnitOfWork(target.sessions) as uow:
            (alert,) = await uow.alerts.list()
        assert SECRET_TEXT in alert.content.summary
    finally:
        await target.close()


def test_the_command_line_encrypts_with_a_passphrase_file_and_never_an_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    data, new = str(tmp_path / "data"), str(tmp_path / "new")
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("a long backup passphrase\n")
    assert (
        runner.invoke(
            cli, ["--data-dir", data, "partners", "import", str(EXAMPLES / "partners.yaml")]
        ).exit_code
        == 0
    )
    file = tmp_path / "b.enc"
    saved = runner.invoke(
        cli,
        [
            "--data-dir",
            data,
            "backup",
            "--encrypt",
            "--passphrase-file",
            str(passphrase),
            str(file),
        ],
    )
    assert saved.exit_code == 0, saved.output
    assert "encrypted" in saved.output and is_encrypted(file) and mode(file) == 0o600
    assert b"analyste.mons" not in file.read_bytes()
    on_the_line = runner.invoke(cli, ["--data-dir", data, "backup", "--passphrase", "x", "y"])
    assert on_the_line.exit_code == 2 and "No such option" in on_the_line.output

    monkeypatch.setenv("PREVNET_BACKUP_PASSPHRASE", "not the passphrase")
    wrong = runner.invoke(cli, ["--data-dir", new, "restore", str(file)])
    assert wrong.exit_code == 1 and "wrong passphrase" in wrong.stderr
    monkeypatch.delenv("PREVNET_BACKUP_PASSPHRASE")
    typed = runner.invoke(
        cli, ["--data-dir", new, "restore", str(file)], input="a long backup passphrase\n"
    )
    assert typed.exit_code == 0, typed.output
    listed = runner.invoke(cli, ["--data-dir", new, "members", "list"])
    assert "@analyste.mons:prevnet.localhost" in listed.output
