"""Backups of prevnet's own database: every table as JSON lines, with the schema revision.

A logical backup, the same on SQLite and PostgreSQL (a backup of one restores into the other),
restored only into an empty database at the same schema revision, so nothing is mixed or lost.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select

from phenomena.errors import PrevnetError
from phenomena.storage.database import Database
from phenomena.storage.schema import Base

FORMAT = "prevnet-backup-1"


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


async def backup(db: Database, path: Path) -> dict[str, int]:
    """Write every table to ``path`` (gzip); returns the rows written per table."""
    revision = await db.revision()
    counts: dict[str, int] = {}
    async with db.engine.connect() as conn:
        with gzip.open(path, "wt", encoding="utf-8") as out:
            out.write(json.dumps({"format": FORMAT, "revision": revision}) + "\n")
            for table in Base.metadata.sorted_tables:
                counts[table.name] = 0
                result = await conn.stream(select(table))
                async for row in result.mappings():
                    record = {k: _plain(v) for k, v in row.items()}
                    out.write(json.dumps({"table": table.name, "row": record}) + "\n")
                    counts[table.name] += 1
    return counts


def _read(path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The header and the rows of a backup file, by table."""
    batch: dict[str, list[dict[str, Any]]] = {}
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
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


async def restore(db: Database, path: Path) -> dict[str, int]:
    """Load a backup into an empty database migrated to the backup's revision."""
    header, batch = _read(path)
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
