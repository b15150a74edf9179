"""``prevnet incidents import``: incident reports from CSV, with a report of every rejected line."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import yaml

from phenomena.detection.knox import KnoxResult, knox
from phenomena.detection.projection import projector
from phenomena.errors import NotFound
from phenomena.incidents import SCAN_CRS, IncidentMapping, read_all
from phenomena.storage.incidents import SqlApiTokens, SqlIncidentStore
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.taxonomy import PhenomenonType
from prevnet.cli.app import App, now, run_command
from prevnet.settings import SettingsError

ROLES = ("time", "x", "y", "lat", "lon", "municipality", "type", "modus", "id")


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")  # Excel's usual export in Belgium


def _rows(
    text: str,
) -> tuple[list[str], list[tuple[int, dict[str, str | None]]], list[tuple[int, str]]]:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = list(reader.fieldnames or [])
    rows: list[tuple[int, dict[str, str | None]]] = []
    broken: list[tuple[int, str]] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            broken.append(
                (
                    line,
                    f"{len(header) + len(row[None])} fields where the header has "
                    f"{len(header)}: check the separators and quotes",
                )
            )
            continue
        if any(value is None for value in row.values()):
            filled = sum(1 for v in row.values() if v is not None)
            broken.append((line, f"{filled} fields where the header has {len(header)}"))
            continue
        rows.append((line, row))
    return header, rows, broken


def _mapping(options: dict[str, Any], mapping_file: Path | None) -> IncidentMapping:
    values: dict[str, Any] = {}
    if mapping_file is not None:
        loaded = yaml.safe_load(mapping_file.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise SettingsError(f"{mapping_file} should map roles to columns, e.g. 'time: date'")
        unknown = set(loaded) - {*ROLES, "crs", "default_type"}
        if unknown:
            raise SettingsError(
                f"{mapping_file}: unknown keys {sorted(unknown)}; the keys are "
                f"{', '.join((*ROLES, 'crs', 'default_type'))}"
            )
        values.update({k: str(v) for k, v in loaded.items() if v is not None})
    values.update({k: v for k, v in options.items() if v is not None})
    if "time" not in values:
        raise SettingsError("say which column holds the time: --time COLUMN (or in --mapping)")
    default = values.pop("default_type", None)
    return IncidentMapping(
        **{k: values[k] for k in (*ROLES, "crs") if k in values},
        default_type=PhenomenonType.parse(default) if default else None,
    )


@click.group()
def incidents() -> None:
    """Incident reports, for phenomenon detection."""


@incidents.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML file: role: column (time, x, y, lat, lon, ...).",
)
@click.option("--time", help="Column with the date (or date and time).")
@click.option("--x", help="Column with the projected x (metres).")
@click.option("--y", help="Column with the projected y (metres).")
@click.option("--lat", help="Column with the latitude (WGS84).")
@click.option("--lon", help="Column with the longitude (WGS84).")
@click.option("--municipality", help="Column with the municipality (name or NIS code).")
@click.option("--type", "type_", help="Column with the phenomenon type.")
@click.option("--modus", help="Column with the modus operandi text.")
@click.option("--id", "id_", help="Column with the source's own incident id.")
@click.option("--crs", help=f"Coordinate system of --x/--y (default {SCAN_CRS}).")
@click.option("--default-type", help="The type of every incident when there is no type column.")
@click.option("--source", help="Where the incidents come from (default: the file name).")
@click.pass_obj
def import_(
    app: App,
    file: Path,
    mapping_file: Path | None,
    source: str | None,
    time: str | None,
    x: str | None,
    y: str | None,
    lat: str | None,
    lon: str | None,
    municipality: str | None,
    type_: str | None,
    modus: str | None,
    id_: str | None,
    crs: str | None,
    default_type: str | None,
) -> None:
    """Import incidents from a CSV file. Importing the same file again adds nothing twice."""
    options = {
        "time": time,
        "x": x,
        "y": y,
        "lat": lat,
        "lon": lon,
        "municipality": municipality,
        "type": type_,
        "modus": modus,
        "id": id_,
        "crs": crs,
        "default_type": default_type,
    }
    mapping = run_command(lambda: _mapping(options, mapping_file))
    header, rows, broken = _rows(_read_text(file))
    problems = mapping.check(header)
    if problems:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        raise SystemExit(1)
    from_source = run_command(lambda: projector(mapping.crs))
    from_wgs84 = projector("EPSG:4326")
    good, bad = read_all(rows, mapping, app.territories, from_source, from_wgs84)
    bad = sorted(bad + broken)
    occurrences: Counter[tuple[object, ...]] = Counter()
    named = source or file.name
    prints = []
    for _, incident in good:
        key = (incident.occurred_on, incident.x, incident.y, incident.type, incident.modus)
        prints.append((incident, incident.fingerprint(named, occurrences[key])))
        occurrences[key] += 1

    def progress(done: int) -> None:
        click.echo(f"\rstoring: {done}/{len(prints)}", err=True, nl=False)

    async def go() -> tuple[int, int]:
        store = SqlIncidentStore(await app.database())
        return await store.add(prints, named, progress)

    added, known = app.run(go)
    if prints:
        click.echo("", err=True)
    click.echo(
        f"{len(rows) + len(broken)} line(s) read: {added} added, {known} already known, "
        f"{len(bad)} rejected"
    )
    for line, reason in bad:
        click.echo(f"  line {line}: {reason}", err=True)


@incidents.command("token")
@click.argument("organisation")
@click.pass_obj
def token(app: App, organisation: str) -> None:
    """Issue a token for ORGANISATION's system to send incidents to the API (shown once)."""

    async def go() -> str:
        db = await app.database()
        async with SqlUnitOfWork(db.sessions) as uow:
            if await uow.organisations.get(organisation) is None:
                raise NotFound(
                    f"no organisation '{organisation}'; `prevnet partners list` shows them"
                )
        return await SqlApiTokens(db).issue(organisation)

    issued = app.run(go)
    click.echo(issued)
    click.echo(
        "Keep it secret: it is shown once. `prevnet incidents revoke ORG` revokes it.", err=True
    )


@incidents.command("revoke")
@click.argument("organisation")
@click.pass_obj
def revoke(app: App, organisation: str) -> None:
    """Revoke every API token of ORGANISATION."""

    async def go() -> int:
        return await SqlApiTokens(await app.database()).revoke(organisation)

    click.echo(f"{app.run(go)} token(s) revoked")


@incidents.command("knox")
@click.option("--type", "kind", help="Only this phenomenon type (default: all incidents).")
@click.option("--distance", default=400.0, show_default=True, help="Metres.")
@click.option("--days", default=14, show_default=True, help="Days.")
@click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last day (default today)."
)
@click.option("--history", default=365, show_default=True, help="Days of history to use.")
@click.option("--permutations", default=999, show_default=True)
@click.pass_obj
def knox_command(
    app: App,
    kind: str | None,
    distance: float,
    days: int,
    as_of: datetime | None,
    history: int,
    permutations: int,
) -> None:
    """Near repeats: are incidents close in space also close in time (Knox test)?"""
    chosen = run_command(lambda: PhenomenonType.parse(kind)) if kind else None
    day = as_of.date() if as_of else now().date()

    async def go() -> KnoxResult | None:
        data = await SqlIncidentStore(await app.database()).arrays(chosen, day, history)
        if len(data.ids) < 2:
            return None
        return knox(data.x, data.y, data.days, distance, days, permutations)

    result = app.run(go)
    if result is None:
        click.echo("fewer than two incidents: import some with `prevnet incidents import`")
        raise SystemExit(1)
    click.echo(
        f"pairs within {distance:.0f} m and {days} days: {result.observed} observed, "
        f"{result.expected:.1f} expected, ratio {result.ratio:.2f}, p = {result.p_value:.3g} "
        f"({permutations} permutations)"
    )
