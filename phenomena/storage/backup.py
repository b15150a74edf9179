"""Backups of prevnet's own database: every table as JSON lines, with the schema revision.

A logical backup, the same on SQLite and PostgreSQL (a backup of one restores into the other),
restored only into an empty database at the same schema revision, so nothing is mixed or lost.
A backup holds TLP:RED text and personal data: the file is owner-only (0600), and encrypted with
a passphrase on request: cryptography's Fernet (AES-128-CBC with HMAC-SHA256) under a key derived
by scrypt from the passphrase and a random salt kept in the file's first line. An encrypted
backup is built in memory (it is compressed first), then written.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import delete, func, insert, select

from phenomena.errors import PrevnetError
from phenomena.storage.database import Database
from phenomena.storage.schema import Base

FORMAT = "prevnet-backup-1"
ENCRYPTED = "prevnet-backup-encrypted-1"
SCRYPT = {"n": 2**15, "r": 8, "p": 1}  # 32 MiB and about 0.1 s to try one passphrase


class BackupError(PrevnetError):
    """A backup cannot be written or restored; the message says why and what to do."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((kind, raw),) = value.items()
        if kind == "$datetime":
            return datetime.fromisoformat(raw)
        if kind == "$date":
            return date.fromisoformat(raw)
        if kind == "$bytes":
            return base64.b64decode(raw)
    return value


def _fernet(passphrase: str, salt: bytes, n: int, r: int, p: int) -> Fernet:
    if not passphrase:
        raise BackupError("the passphrase is empty: give one")
    if not (2 <= n <= 2**20 and r * p <= 64):
        raise BackupError("the backup's key derivation parameters are out of range")
    key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def _owner_only(path: Path) -> IO[bytes]:
    """``path`` opened for writing, owner-only (0600) whether it is new or not."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


def is_encrypted(path: Path) -> bool:
    """Whether ``path`` is an encrypted prevnet backup (it then needs its passphrase)."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(4096)
    except OSError:
        return False
    try:
        header = json.loads(first)
    except ValueError:
        return False
    return isinstance(header, dict) and header.get("format") == ENCRYPTED


async def backup(db: Database, path: Path, passphrase: str | None = None) -> dict[str, int]:
    """Write every table to ``path`` (gzip, 0600; encrypted when given a passphrase).

    Returns the rows written per table.
    """
    if passphrase is None:
        with _owner_only(path) as raw:
            return await _write(db, raw)
    salt = os.urandom(16)
    fernet = _fernet(passphrase, salt, **SCRYPT)
    plain = io.BytesIO()
    counts = await _write(db, plain)
    header = {
        "format": ENCRYPTED,
        "kdf": "scrypt",
        **SCRYPT,
        "salt": base64.b64encode(salt).decode(),
    }
    token = fernet.encrypt(plain.getvalue())
    with _owner_only(path) as raw:
        raw.write(json.dumps(header).encode() + b"\n")
        raw.write(token)
    return counts


async def _write(db: Database, raw: IO[bytes]) -> dict[str, int]:
    revision = await db.revision()
    counts: dict[str, int] = {}
    async with db.engine.connect() as conn:
        with gzip.open(raw, "wt", encoding="utf-8") as out:
            out.write(json.dumps({"format": FORMAT, "revision": revision}) + "\n")
            for table in Base.metadata.sorted_tables:
                counts[table.name] = 0
                result = await conn.stream(select(table))
                async for row in result.mappings():
                    record = {k: _plain(v) for k, v in row.items()}
                    out.write(json.dumps({"table": table.name, "row": record}) + "\n")
                    counts[table.name] += 1
    return counts


def _decrypt(path: Path, passphrase: str | None) -> bytes:
    if passphrase is None:
        raise BackupError(f"{path} is encrypted: give its passphrase")
    try:
        with path.open("rb") as handle:
            header = json.loads(handle.readline())
            token = handle.read()
        fernet = _fernet(
            passphrase,
            base64.b64decode(header["salt"]),
            int(header["n"]),
            int(header["r"]),
            int(header["p"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{path} is not a readable encrypted backup ({exc})") from None
    try:
        return fernet.decrypt(token)
    except InvalidToken:
        raise BackupError(
            f"wrong passphrase for {path} (or the file was altered): give the passphrase "
            "the backup was made with"
        ) from None


def _read(
    path: Path, passphrase: str | None = None
) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The header and the rows of a backup file, by table."""
    batch: dict[str, list[dict[str, Any]]] = {}
    source: Path | IO[bytes] = path
    if is_encrypted(path):
        source = io.BytesIO(_decrypt(path, passphrase))
    try:
        with gzip.open(source, "rt", encoding="utf-8") as handle:
            header: dict[str, Any] = json.loads(handle.readline())
            if header.get("format") != FORMAT:
                raise BackupError(
                    f"{path} is not a prevnet backup (format {header.get('format')!r})"
                )
            for line in handle:
                item = json.loads(line)
                batch.setdefault(item["table"], []).append(
                    {k: _typed(v) for k, v in item["row"].items()}
                )
    except (OSError, EOFError, json.JSONDecodeError, AttributeError) as exc:
        raise BackupError(f"{path} is not a prevnet backup ({exc})") from None
    return header, batch


SEEDED_BY_MIGRATIONS = frozenset({"outbox_consumers"})


async def restore(db: Database, path: Path, passphrase: str | None = None) -> dict[str, int]:
    """Load a backup (given its passphrase if encrypted) into an empty database migrated to the
    backup's revision."""
    header, batch = _read(path, passphrase)
    revision = await db.revision()
    if revision != header["revision"]:
        raise BackupError(
            f"the backup is at schema revision {header['revision']}, the database at {revision}: "
            "restore with the prevnet version that made the backup, then upgrade"
        )
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    counts = dict.fromkeys(tables, 0)
    async with db.engine.begin() as conn:
        for name, table in tables.items():
            if name in SEEDED_BY_MIGRATIONS:
                await conn.execute(delete(table))  # the backup carries its own rows
            elif await conn.scalar(select(func.count()).select_from(table)):
                raise BackupError(f"table {name} is not empty: restore into a new, empty database")
        for name, table in tables.items():  # parents before children
            rows = batch.get(name, [])
            for start in range(0, len(rows), 1000):
                await conn.execute(insert(table), rows[start : start + 1000])
            counts[name] = len(rows)
            if conn.dialect.name == "postgresql" and "id" in table.c and rows:
                # the id sequence continues after the restored ids
                await conn.execute(
                    select(
                        func.setval(
                            func.pg_get_serial_sequence(name, "id"),
                            select(func.max(table.c.id)).scalar_subquery(),
                        )
                    )
                )
    return counts
