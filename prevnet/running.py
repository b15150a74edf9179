"""Where the running network is: ``prevnet up`` records its homeserver URL in the data directory.

Commands that talk to the homeserver with the bot's server-admin token (``prevnet reconcile``)
read the URL from here and send the token nowhere else: not to a default port where anyone may
listen. The record is ``running.json`` (0600), written when ``prevnet up`` is ready and removed
when it stops; a record left by a process that no longer exists counts as nothing running.
Ports are checked before anything starts, so a taken one is reported at once.
"""

from __future__ import annotations

import errno
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from phenomena.errors import PrevnetError

RUNNING_FILE = "running.json"


class PortInUse(PrevnetError):
    """A port prevnet must listen on is taken; the message names it and the option to change."""


@dataclass(frozen=True)
class RunningNetwork:
    """The homeserver URL and incident-API port of the ``prevnet up`` serving a data directory."""

    url: str
    api_port: int
    pid: int


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


def write_running(data_dir: Path, url: str, api_port: int) -> Path:
    """Record this process as the network serving ``data_dir`` (owner-only, atomically)."""
    path = data_dir / RUNNING_FILE
    partial = data_dir / f".{RUNNING_FILE}.{os.getpid()}"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"url": url, "api_port": api_port, "pid": os.getpid()}, handle)
    os.replace(partial, path)
    return path


def read_running(data_dir: Path) -> RunningNetwork | None:
    """The network serving ``data_dir``, or None when no live ``prevnet up`` recorded one."""
    try:
        stored = json.loads((data_dir / RUNNING_FILE).read_text(encoding="utf-8"))
        running = RunningNetwork(str(stored["url"]), int(stored["api_port"]), int(stored["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return running if _alive(running.pid) else None


def remove_running(data_dir: Path) -> None:
    """Forget the record, if it is this process's own (a clean stop)."""
    path = data_dir / RUNNING_FILE
    try:
        if int(json.loads(path.read_text(encoding="utf-8"))["pid"]) == os.getpid():
            path.unlink()
    except (OSError, ValueError, KeyError, TypeError):
        return


def check_port_free(host: str, port: int, option: str, setting: str) -> None:
    """Raise PortInUse when something listens on ``host:port`` (as the servers bind it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp and Twisted do
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise PortInUse(port_message(port, option, setting)) from None
            raise


def port_message(port: int, option: str, setting: str) -> str:
    """What to say when ``port`` is taken."""
    return (
        f"port {port} is in use (another prevnet up?): choose another with {option} "
        f"or set {setting}"
    )
