"""``prevnet incidents import``: an analyst's CSV or .xlsx file, and a report they can act on.

Exit status: 0 when every line was imported, 1 when a line was rejected (the others stay
imported) or nothing could be imported, 2 for a wrong command line.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from phenomena.detection.projection import projector
from phenomena.errors import DomainError
from phenomena.incident_files.dates import time_format_named
from phenomena.incident_files.dialect import delimiter_named, encoding_named
from phenomena.incident_files.reading import fingerprinted, read_table
from phenomena.incident_files.report import ImportReport, rejects_rows
from phenomena.incidents import SCAN_CRS
from phenomena.storage.incidents import SqlIncidentStore
from prevnet.cli.app import App, run_command
from prevnet.incident_mapping_file import import_settings
from prevnet.incident_sources import open_table

PROGRESS_LINES = 10_000
"""Files with more lines than this show a progress bar (on stderr)."""
T = TypeVar("T")


def _checked(check: Callable[[str], T]) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(_: click.Context, __: click.Parameter, value: str | None) -> T | None:
        if value is None:
            return None
        try:
            return check(value)
        except DomainError as exc:
            raise click.BadParameter(str(exc)) from None

    return callback


@contextmanager
def _progress(label: str, length: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for a long file; nothing for a short one."""
    if length <= PROGRESS_LINES:
        yield None
        return
    bar = click.progressbar(length=length, label=label, file=sys.stderr)
    with bar:
        yield bar.update


def _write_rejects(path: Path, rows: list[list[str]], delimiter: str) -> None:
    try:
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            csv.writer(handle, delimiter=delimiter).writerows(rows)
    except OSError as exc:
        click.echo(f"error: cannot write the rejects file {path}: {exc.strerror}", err=True)
        raise SystemExit(1) from None


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML file with the same settings as these options (time: date, time_format: ...) "
    "and types: mapping the file's type values to types.",
)
@click.option("--time", help="Column with the date (or date and time).")
@click.option(
    "--time-format",
    callback=_checked(time_format_named),
    help="How the time is written, in strptime syntax, e.g. '%m/%d/%y %H:%M' (default: ISO "
    "dates, or day/month/year in the order the whole column allows).",
)
@click.option("--x", help="Column with the projected x (metres).")
@click.option("--y", help="Column with the projected y (metres).")
@click.option("--lat", help="Column with the latitude (WGS84).")
@click.option("--lon", help="Column with the longitude (WGS84).")
@click.option("--latlon", help="One column with 'latitude,longitude', e.g. '50.45,3.95'.")
@click.option("--municipality", help="Column with the municipality (name or NIS code).")
@click.option("--type", "type_", help="Column with the phenomenon type.")
@click.option("--modus", help="Column with the modus operandi text.")
@click.option("--id", "id_", help="Column with the source's own incident id.")
@click.option(
    "--crs",
    help=f"Coordinate system of --x/--y (default {SCAN_CRS}); 'metres': already in metres, "
    "kept as they are. Feet need their real system, e.g. EPSG:3435 (Illinois East, US feet).",
)
@click.option("--default-type", help="The type of every incident when there is no type column.")
@click.option(
    "--delimiter",
    callback=_checked(delimiter_named),
    help="Separator of a CSV file: , ; | or tab (default: found from the first lines).",
)
@click.option(
    "--encoding",
    callback=_checked(encoding_named),
    help="Encoding of a CSV file, e.g. cp1252 (default: UTF-16 after its byte order mark, "
    "else UTF-8, else Windows-1252).",
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the rejected lines, with their line number and problems, to this CSV file.",
)
@click.option("--source", help="Where the incidents come from (default: the file name).")
@click.pass_obj
def import_command(
    app: App,
    /,
    file: Path,
    mapping_file: Path | None,
    rejects: Path | None,
    source: str | None,
    **options: Any,
) -> None:
    """Import incidents from a CSV or .xlsx file. Importing the same file again adds nothing twice.

    Every line that cannot be imported is rejected with all its problems, grouped by reason in
    the report; the others are imported. Exit status 1 when any line was rejected.
    """
    if rejects is not None and rejects.resolve() == file.resolve():
        raise click.BadParameter(
            "is the file being imported; name another file for the rejected lines",
            param_hint="--rejects",
        )
    options["type"] = options.pop("type_")
    options["id"] = options.pop("id_")
    settings = run_command(lambda: import_settings(options, mapping_file))
    mapping = settings.mapping
    opened = run_command(lambda: open_table(file, settings.file))
    table = opened.table
    click.echo(f"reading {file.name}: {opened.how}", err=True)
    problems = mapping.check(table.header)
    if problems:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        raise SystemExit(1)
    from_source = run_command(lambda: projector(mapping.crs))
    from_wgs84 = projector("EPSG:4326")
    with _progress("reading", len(table.records)) as step:
        reading = run_command(
            lambda: read_table(table, mapping, app.territories, from_source, from_wgs84, step)
        )
    named = source or file.name
    prints = fingerprinted(reading.incidents, named)

    async def store() -> tuple[int, int]:
        with _progress("storing", len(prints)) as step:
            stored = 0

            def progress(done: int) -> None:
                nonlocal stored
                if step is not None:
                    step(done - stored)
                stored = done

            return await SqlIncidentStore(await app.database()).add(prints, named, progress)

    added, known = app.run(store)
    report = ImportReport(len(table.records), added, known, reading.rejected)
    if rejects is not None:
        rows = rejects_rows(table.header, report.rejected)
        _write_rejects(rejects, rows, opened.delimiter)
    click.echo(report.summary())
    for line in report.by_reason(str(rejects) if rejects else None):
        click.echo(line, err=True)
    if report.rejected:
        raise SystemExit(1)
