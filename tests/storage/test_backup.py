"""A backup restores into an empty database with everything in it, and refuses to mix."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from phenomena.alert_text import parse_alert_text
from phenomena.partners_file import parse_partner_file
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy
from phenomena.services.partners import import_partners
from phenomena.storage.backup import BackupError, backup, restore
from phenomena.storage.database import Database, sqlite_url
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from tests.unit.test_alert_text import EXAMPLE
from tests.unit.test_partners_file import GOOD

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)


async def test_backup_and_restore_keep_everything(
    db: Database, territories: TerritoryRegistry, tmp_path: Path, sqlite_template: Path
) -> None:
    await import_partners(
        SqlUnitOfWork(db.sessions), parse_partner_file(GOOD, territories), "t", NOW
    )
    alert, _ = await use.create_alert(
        SqlUnitOfWork(db.sessions),
        parse_alert_text(EXAMPLE, territories),
        "@alice:prevnet.example",
        territories,
        ModerationPolicy(),
        NOW,
    )
    path = tmp_path / "prevnet.backup.gz"
    written = await backup(db, path)
    assert written["members"] == 2 and written["alerts"] == 1 and written["outbox"] >= 7

    target_path = tmp_path / "restored.sqlite3"
    shutil.copy(sqlite_template, target_path)
    target = Database.connect(sqlite_url(target_path))
    try:
        restored = await restore(target, path)
        assert restored == written
        async with SqlUnitOfWork(target.sessions) as uow:
            copy = await uow.alerts.get(alert.id)
            members = await uow.members.list()
        assert copy == alert
        assert sorted(m.matrix_id for m in members) == [
            "@alice:prevnet.example",
            "@bob:prevnet.example",
        ]
        assert len(await Outbox(target, "x").events()) == written["outbox"]
        with pytest.raises(BackupError, match="is not empty"):
            await restore(target, path)
        # ids continue after the restored ones
        second, _ = await use.create_alert(
            SqlUnitOfWork(target.sessions),
            parse_alert_text(EXAMPLE, territories),
            "@alice:prevnet.example",
            territories,
            ModerationPolicy(),
            NOW,
        )
        assert second.id == alert.id + 1
    finally:
        await target.close()


async def test_a_file_that_is_not_a_backup_is_refused(db: Database, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    with pytest.raises(BackupError, match="is not a prevnet backup"):
        await restore(db, bogus)
