"""Files at rest: prevnet's data directory and everything in it are for its owner only.

The data directory holds the database, the bot's credentials and crypto store, the demo
passwords and the embedded homeserver's keys; its mode (0700) is the first guard, each file's
(0600) the second, so that a copy or a loosened directory does not expose them. The command line
sets the umask to 077 before anything is written; ``secure_data_dir`` tightens what an older
version left behind.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def private_umask() -> None:
    """Make every file and directory this process creates owner-only."""
    os.umask(PRIVATE_UMASK)


def _tighten(path: Path, mode: int) -> None:
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return  # a link's target is not ours to change
    if stat.S_IMODE(info.st_mode) & ~mode:
        path.chmod(stat.S_IMODE(info.st_mode) & mode)


def private_dir(path: Path) -> Path:
    """Create ``path`` (0700) or take away group and other access from it (not its contents)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)
    return path


def secure_data_dir(data: Path) -> Path:
    """Create ``data`` (0700) or take away group and other access from it and all it holds."""
    data.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(data, DIR_MODE)
    for root, dirs, files in os.walk(data):
        for name in dirs:
            _tighten(Path(root) / name, DIR_MODE)
        for name in files:
            _tighten(Path(root) / name, FILE_MODE)
    return data


def private_file(path: Path) -> Path:
    """Create ``path`` empty and owner-only if it is missing, or make it owner-only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    _tighten(path, FILE_MODE)
    return path
