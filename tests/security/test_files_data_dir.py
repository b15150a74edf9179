"""After ``prevnet up --demo`` every file in the data directory is its owner's only.

Found: the SQLite database and the bot's crypto store were 0644 (only the directory protected
them), and the crypto store was pickled with matrix-nio's default passphrase.
"""

from __future__ import annotations

import stat
from pathlib import Path

from nio.store import DefaultStore

from bots.key_store import NIO_DEFAULT_PICKLE_KEY
from prevnet.running import RUNNING_FILE
from tests.support.synapse import free_port
from tests.support.up import start, stop

HARNESS_LOG = "prevnet-up.log"  # written by the test harness, not by prevnet


def loose(data: Path) -> dict[str, str]:
    """Every path under ``data`` that its group or others may read, write or enter."""
    found = {}
    for path in [data, *data.rglob("*")]:
        if path.is_symlink() or path.name == HARNESS_LOG:
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            found[str(path.relative_to(data))] = oct(mode)
    return found


async def test_up_leaves_the_data_directory_and_everything_in_it_owner_only(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)  # as an older prevnet, or a hand, made it
    data.chmod(0o755)
    (data / "notes.txt").write_text("left by an older version")
    (data / "notes.txt").chmod(0o644)
    running = await start(data, free_port())
    try:
        assert loose(data) == {}
        names = {p.name for p in data.iterdir()}
        assert {"prevnet.sqlite3", "bot-credentials.json", "demo-accounts.json"} <= names
        assert {"bot-store", "bot-store.key", "homeserver", RUNNING_FILE} <= names
        assert any(p.name.endswith("-wal") for p in data.iterdir())  # SQLite's, while it runs
        stores = sorted((data / "bot-store").glob("*.db"))
        (device_db,) = [p for p in stores if not p.name.endswith(".room-keys.db")]
        assert [p.name for p in stores if p != device_db] == [
            device_db.name.removesuffix(".db") + ".room-keys.db"
        ]  # the late joiners' session keys, beside nio's own store
        user, device = device_db.stem.rsplit("_", 1)
        default = DefaultStore(user, device, str(data / "bot-store"), NIO_DEFAULT_PICKLE_KEY)
        try:
            unreadable = False
            try:
                default.load_account()
            except ValueError:
                unreadable = True
            assert unreadable, "the bot's keys open with matrix-nio's default pickle key"
        finally:
            default.database.close()
    finally:
        assert await stop(running) == 0
    assert not (data / RUNNING_FILE).exists()
    assert loose(data) == {}
