"""A throwaway PostgreSQL server for the test session, from Debian's ``postgresql`` package.

Started on 127.0.0.1 with a free port, trust authentication, data in a temporary directory;
stopped at the end of the session. ``PREVNET_TEST_POSTGRES_URL`` points the tests at an existing
server instead (it needs the right to create databases).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries: the storage tests cannot run, and must not pass."""


def _binary(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    found = candidates[0] if candidates else shutil.which(name)
    if not found:
        raise PostgresUnavailable(
            f"PostgreSQL's {name} was not found: install Debian's postgresql package "
            "(`apt-get install postgresql`, as .ci/run does) or set PREVNET_TEST_POSTGRES_URL"
        )
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_user(command: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *command] if user else command


@contextmanager
def postgres_server(*, durable: bool = False) -> Iterator[str]:
    """Yield the URL of a PostgreSQL server's ``postgres`` database; stop it afterwards.

    Tests run it without fsync; ``durable`` keeps PostgreSQL's production defaults, so that a
    benchmark measures what a deployment would pay for each commit.
    """
    existing = os.environ.get("PREVNET_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    user = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailable(
                "running as root and there is no 'postgres' user: install Debian's postgresql "
                "package, which creates it"
            ) from None
        user = "postgres"
    root = Path(tempfile.mkdtemp(prefix="prevnet-pg-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    if user:
        shutil.chown(root, user)
        shutil.chown(sockets, user)
    port = _free_port()
    log = root / "server.log"
    subprocess.run(
        _as_user(
            [initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
            user,
        ),
        check=True,
        capture_output=True,
    )
    options = f"-h 127.0.0.1 -p {port} -k {sockets}"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off"
    started = subprocess.run(
        _as_user([pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"], user),
        capture_output=True,
        text=True,
    )
    if started.returncode != 0:
        tail = log.read_text()[-2000:] if log.exists() else started.stderr
        raise PostgresUnavailable(f"PostgreSQL did not start:\n{tail}")
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"], user),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
