"""``prevnet incidents import`` and ``summary`` on files as analysts receive them.

Each test writes a small file the way an export would (a ``|`` file with US dates, a Belgian
``;`` file in Windows-1252, a workbook), imports it, and checks what was stored.
"""

from __future__ import annotations

import csv
import re
import sqlite3
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

from prevnet.cli import cli

Invoke = Callable[..., Result]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def run(data: Path) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, ["--data-dir", str(data), *args], catch_exceptions=False)

    return invoke


def stored(data: Path) -> list[tuple[str, str, str | None, str | None, float, float]]:
    """What the database holds: day, type, municipality, modus, x, y (by day, then modus)."""
    with sqlite3.connect(data / "prevnet.sqlite3") as conn:
        rows = conn.execute(
            "SELECT occurred_on, type, municipality, modus, x, y FROM incidents "
            "ORDER BY occurred_on, modus"
        ).fetchall()
    return [(str(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]


def stored_count(data: Path) -> int:
    path = data / "prevnet.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM incidents").fetchone()[0])


US_PIPE = (
    "Case Number|Date|Primary Type|Location|Description\n"
    "JA1|7/19/17 13:45|459 PC BURGLARY RESIDENCE|50.4541,3.9523|FORCIBLE ENTRY, REAR DOOR\n"
    "JA2|1/2/17 0:00|459 PC BURGLARY RESIDENCE|(50.4550, 3.9530)|UNLAWFUL ENTRY\n"
    "JA3|12/31/16 23:59|VANDALISM|50.46,3.95|GRAFFITI\n"
    "JA4|3/4/17 8:00|BURGLARY|50.45,3.96|COMMERCIAL, NO FORCE\n"
)
US_MAPPING = """\
time: Date
time_format: "%m/%d/%y %H:%M"
latlon: Location
type: Primary Type
modus: Description
id: Case Number
types:
  459 PC BURGLARY RESIDENCE: residential-burglary
"""


def test_a_pipe_file_with_us_two_digit_years_a_latlon_column_and_a_type_map(
    run: Invoke, tmp_path: Path, data: Path
) -> None:
    path = tmp_path / "export.txt"
    path.write_text(US_PIPE, encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(US_MAPPING, encoding="utf-8")

    result = run("incidents", "import", str(path), "--mapping", str(mapping))

    assert result.exit_code == 1, result.output  # BURGLARY was rejected
    assert "separator '|' (found from the first lines)" in result.stderr
    assert "4 line(s) read: 3 added, 0 already known, 1 rejected" in result.stdout
    assert (
        "1 line(s) (5): type 'BURGLARY' is neither in the mapping file's types: nor a type's "
        "slug or name" in result.stderr
    )
    days = [(day, kind, modus) for day, kind, _, modus, _, _ in stored(data)]
    assert days == [
        ("2016-12-31", "vandalism", "GRAFFITI"),
        ("2017-01-02", "residential-burglary", "UNLAWFUL ENTRY"),
        ("2017-07-19", "residential-burglary", "FORCIBLE ENTRY, REAR DOOR"),
    ]


def test_month_first_dates_are_read_month_first(run: Invoke, tmp_path: Path, data: Path) -> None:
    path = tmp_path / "incidents.csv"
    path.write_text(
        "date,lat,lon,type\n"
        "3/4/2017 08:00,50.45,3.95,vandalism\n"
        "7/19/2017 13:45,50.45,3.95,vandalism\n"
        "11/12/2017 22:10,50.45,3.95,vandalism\n",
        encoding="utf-8",
    )
    result = run(
        "incidents", "import", str(path), "--time", "date", "--lat", "lat", "--lon", "lon",
        "--type", "type",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [row[0] for row in stored(data)] == ["2017-03-04", "2017-07-19", "2017-11-12"]


def test_an_ambiguous_date_column_is_refused_with_the_advice_and_nothing_imported(
    run: Invoke, tmp_path: Path, data: Path
) -> None:
    path = tmp_path / "incidents.csv"
    path.write_text(
        "date;commune;fait\n03/04/2026;Mons;vandalism\n05/06/2026;Mons;vandalism\n",
        encoding="utf-8",
    )
    args = ["incidents", "import", str(path), "--time", "date", "--municipality", "commune"]
    result = run(*args, "--type", "fait")
    assert result.exit_code == 1
    assert "'03/04/2026' is 3 April 2026 or 4 March 2026" in result.stderr
    assert "nothing was imported" in result.stderr
    assert "--time-format '%d/%m/%Y' (day first)" in result.stderr
    assert stored_count(data) == 0
    again = run(*args, "--type", "fait", "--time-format", "%d/%m/%Y")
    assert again.exit_code == 0, again.output
    assert [row[0] for row in stored(data)] == ["2026-04-03", "2026-06-05"]


def test_a_belgian_windows_export_with_decimal_commas_and_commas_in_the_text(
    run: Invoke, tmp_path: Path, data: Path
) -> None:
    path = tmp_path / "export.csv"
    lines = [
        "numéro;date faits;x;y;qualification;mode opératoire",
        "PV-1;14/11/2026;0,5;-12,25;Vol qualifié dans habitation;porte arrière forcée, vitre",
        "PV-2;15/11/2026;100,75;200,5;Vol qualifié dans habitation;pied-de-biche, fenêtre, 2h",
        "PV-3;16/11/2026;1000;2000;Vandalisme;tags, façade, abribus, poubelles, voiture",
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "time: date faits\nx: x\ny: y\ncrs: metres\ntype: qualification\n"
        "modus: mode opératoire\nid: numéro\nencoding: cp1252\n"
        "types:\n  Vol qualifié dans habitation: residential-burglary\n",
        encoding="utf-8",
    )
    result = run("incidents", "import", str(path), "--mapping", str(mapping))
    assert result.exit_code == 0, result.output
    assert "separator ';' (found from the first lines), cp1252" in result.stderr
    assert [(r[1], r[3], r[4], r[5]) for r in stored(data)] == [
        ("residential-burglary", "porte arrière forcée, vitre", 0.5, -12.25),
        ("residential-burglary", "pied-de-biche, fenêtre, 2h", 100.75, 200.5),
        ("vandalism", "tags, façade, abribus, poubelles, voiture", 1000.0, 2000.0),
    ]
    wrong = run("incidents", "import", str(path), "--mapping", str(mapping), "--encoding", "utf-8")
    assert wrong.exit_code == 1
    assert "not in utf-8: byte 0xe9 on line 1" in wrong.stderr


def test_a_workbook_is_imported_with_the_same_options(
    run: Invoke, tmp_path: Path, data: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Date", "Location", "Type", "Commune"])
    sheet.append([datetime(2026, 11, 14, 15, 30), "50.4541,3.9523", "Woninginbraak", "Mons"])
    sheet.append(["7/19/2026 13:45", "50.45,3.95", "THEFT", "Quévy"])
    sheet.append([None, None, None, None])
    sheet.append(["11/20/2026 08:00", None, "THEFT", "Quévy"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    result = run(
        "incidents", "import", str(path), "--time", "Date", "--latlon", "Location",
        "--municipality", "Commune", "--type", "Type", "--default-type", "other",
        "--delimiter", ";",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "a workbook has no separator or encoding: those are ignored" in result.stderr
    assert "3 line(s) read: 1 added, 0 already known, 2 rejected" in result.stdout
    assert "2 line(s) (3, 5): type 'THEFT' is neither" in result.stderr
    assert [(r[0], r[1], r[2]) for r in stored(data)] == [
        ("2026-11-14", "residential-burglary", "53053")
    ]
    mapped = tmp_path / "mapping.yaml"
    mapped.write_text(
        "time: Date\nlatlon: Location\nmunicipality: Commune\ntype: Type\n"
        "types: {THEFT: vehicle-theft}\n",
        encoding="utf-8",
    )
    again = run("incidents", "import", str(path), "--mapping", str(mapped))
    assert again.exit_code == 0, again.output
    assert "3 line(s) read: 2 added, 1 already known, 0 rejected" in again.stdout
    assert [r[0] for r in stored(data)] == ["2026-07-19", "2026-11-14", "2026-11-20"]


def write_bad_file(path: Path) -> None:
    rows = ["when;lat;lon;type"]
    rows += [f"2026-11-{d:02d};50.45;3.95;vandalism" for d in range(1, 21)]
    rows += [f"2026-11-{d:02d};north;3.95;theft" for d in range(1, 26)]  # two problems each
    rows += ["31/02/2026;50.45;3.95;vandalism", "2026-11-01;50.45"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_rejections_are_grouped_with_every_problem_and_written_to_a_rejects_file(
    run: Invoke, tmp_path: Path, data: Path
) -> None:
    path = tmp_path / "incidents.csv"
    write_bad_file(path)
    rejects = tmp_path / "rejects.csv"
    args = ["--time", "when", "--lat", "lat", "--lon", "lon", "--type", "type"]
    result = run("incidents", "import", str(path), *args, "--rejects", str(rejects))
    assert result.exit_code == 1
    assert "47 line(s) read: 20 added, 0 already known, 27 rejected" in result.stdout
    report = result.stderr.splitlines()
    assert len(report) < 15, result.stderr  # 27 rejected lines, a few lines of report
    assert "  25 line(s) (22, 23, 24, 25, 26, 27, 28, 29, 30, 31 and 15 more): latitude is not " \
        "a number" in report  # fmt: skip
    assert any(
        line.startswith("  25 line(s) (22, 23,") and "type 'theft' is neither" in line
        for line in report
    )
    assert "    line 47: '31/02/2026' is not a day of the calendar (read day first)" in report
    assert "    line 48: 2 fields where the header has 4" in report
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        written = list(csv.reader(handle, delimiter=";"))
    assert written[0] == ["line", "problems", "when", "lat", "lon", "type"]
    assert len(written) == 28
    number, problems, *fields = written[1]
    assert (number, fields) == ("22", ["2026-11-01", "north", "3.95", "theft"])
    assert problems.startswith("latitude 'north' is not a number; type 'theft' is neither")
    assert written[-1] == ["48", "2 fields where the header has 4", "2026-11-01", "50.45"]
    assert stored_count(data) == 20


def test_exit_statuses(run: Invoke, tmp_path: Path, data: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("when,lat,lon\n2026-11-14,50.45,3.95\n", encoding="utf-8")
    args = ["--time", "when", "--lat", "lat", "--lon", "lon", "--default-type", "vandalism"]
    assert run("incidents", "import", str(good), *args).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("when,lat,lon\n14/11/06,50.45,3.95\n1/1/06,50.45,3.95\n", encoding="utf-8")
    every_line = run("incidents", "import", str(bad), *args)
    assert every_line.exit_code == 1
    assert "2 line(s) read: 0 added, 0 already known, 2 rejected" in every_line.stdout
    assert "two-digit year" in every_line.stderr
    wrong_separator = run("incidents", "import", str(good), *args, "--delimiter", "ab")
    assert wrong_separator.exit_code == 2
    assert "'ab' is not a separator" in wrong_separator.stderr
    assert run("incidents", "import", str(good), *args, "--time-format", "%H").exit_code == 2
    assert run("incidents", "import", str(good), "--no-such-option").exit_code == 2
    assert stored_count(data) == 1


def test_a_large_file_shows_progress_and_a_small_one_does_not(run: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = [f"2026-{1 + i % 12:02d}-{1 + i % 28:02d},{i}.0,{i}.5" for i in range(10_200)]
    path.write_text("when,x,y\n" + "\n".join(rows) + "\n", encoding="utf-8")
    args = ["--time", "when", "--x", "x", "--y", "y", "--crs", "metres", "--default-type", "other"]
    big = run("incidents", "import", str(path), *args)
    assert big.exit_code == 0, big.output
    assert "10200 added" in big.stdout
    assert "reading" in big.stderr.replace(f"reading {path.name}", "")
    assert "storing" in big.stderr
    small = tmp_path / "small.csv"
    small.write_text("when,x,y\n2026-11-14,1,2\n", encoding="utf-8")
    quiet = run("incidents", "import", str(small), *args)
    assert "storing" not in quiet.stderr


def test_summary_counts_by_type_with_the_period_and_the_top_municipalities(
    run: Invoke, tmp_path: Path
) -> None:
    path = tmp_path / "incidents.csv"
    rows = ["date;commune;fait;lat;lon"]
    rows += [f"2026-11-{d:02d};Mons;woninginbraak;;" for d in range(1, 8)]
    rows += [f"2026-10-{d:02d};Quévy;woninginbraak;;" for d in range(1, 4)]
    rows += ["2026-09-30;Namur;vandalism;;", "2026-12-01;;vandalism;50.45;3.95"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = ["--time", "date", "--municipality", "commune", "--type", "fait"]
    run("incidents", "import", str(path), *args, "--lat", "lat", "--lon", "lon")
    result = run("incidents", "summary")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "12 incident(s), by type:"
    assert lines[1].split() == ["residential-burglary", "10", "2026-10-01", "to", "2026-11-07"]
    assert lines[2].split() == ["vandalism", "2", "2026-09-30", "to", "2026-12-01"]
    assert lines[3] == "the 3 municipalities with the most incidents:"
    assert [line.split()[0] for line in lines[4:7]] == ["Mons", "Quévy", "Namur"]
    assert [line.split()[-1] for line in lines[4:7]] == ["7", "3", "1"]
    assert lines[7].startswith("1 incident(s) without a municipality")
    only = run("incidents", "summary", "--type", "vandalism").stdout.splitlines()
    assert only[0] == "2 incident(s), by type:"
    assert len([line for line in only if "residential-burglary" in line]) == 0


def test_the_example_mapping_file_reads_the_export_it_describes(
    run: Invoke, tmp_path: Path, data: Path
) -> None:
    example = Path(__file__).parents[1] / "config" / "examples" / "incident-mapping.yaml"
    path = tmp_path / "export.csv"
    path.write_text(
        "numero_pv;date_faits;x_lambert72;y_lambert72;commune;qualification;mode_operatoire\n"
        "PV-9;14/11/2026;120000,5;125000,5;Mons;Vol qualifié dans habitation;porte forcée\n",
        encoding="utf-8",
    )
    result = run("incidents", "import", str(path), "--mapping", str(example))
    assert result.exit_code == 0, result.output
    assert [(r[0], r[1], r[2]) for r in stored(data)] == [
        ("2026-11-14", "residential-burglary", "53053")
    ]


def test_an_option_wins_over_the_mapping_file_and_a_bad_setting_names_its_key(
    run: Invoke, tmp_path: Path, data: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_text("when;place\n2026-11-14;Mons\n", encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "time: when\nmunicipality: place\ndefault_type: vandalism\ndelimiter: ','\n",
        encoding="utf-8",
    )
    told = run("incidents", "import", str(path), "--mapping", str(mapping))
    assert told.exit_code == 1  # the file's ',' splits nothing: the columns are not found
    assert "--time names column 'when', which the file does not have" in told.stderr
    wins = run("incidents", "import", str(path), "--mapping", str(mapping), "--delimiter", ";")
    assert wins.exit_code == 0, wins.output
    assert stored_count(data) == 1
    mapping.write_text("time: when\ntime_format: '%H:%M'\ntime-format: x\n", encoding="utf-8")
    unknown = run("incidents", "import", str(path), "--mapping", str(mapping))
    assert unknown.exit_code == 1
    assert "unknown keys ['time-format']" in unknown.stderr
    mapping.write_text("time: when\ntime_format: '%H:%M'\n", encoding="utf-8")
    bad = run("incidents", "import", str(path), "--mapping", str(mapping))
    assert bad.exit_code == 1
    assert f"{mapping}: time_format: time format '%H:%M' does not give a whole day" in bad.stderr


def test_rejected_cells_that_look_like_formulas_stay_text_in_the_rejects_file(
    run: Invoke, tmp_path: Path
) -> None:
    """A cell such as ``=HYPERLINK(...)`` must not run as a formula when the analyst opens the
    rejects file in a spreadsheet; negative coordinates stay the numbers they are."""
    path = tmp_path / "hostile.csv"
    rows = [
        "when;lat;lon;type;modus",
        '2026-11-14;-91;-3,95;vandalism;"=HYPERLINK(""http://evil.example"",""open"")"',
        "2026-11-14;50.45;3.95;nope;@SUM(A1:A9)",
        "2026-11-14;50.45;3.95;+cmd;-2+3",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    args = ["--time", "when", "--lat", "lat", "--lon", "lon", "--type", "type", "--modus", "modus"]
    assert run("incidents", "import", str(path), *args, "--rejects", str(rejects)).exit_code == 1
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        written = list(csv.reader(handle, delimiter=";"))
    cells = [cell for row in written[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or c[:2] == "-2"], cells
    assert written[1][2:] == [
        "2026-11-14",
        "-91",
        "-3,95",
        "vandalism",
        '\'=HYPERLINK("http://evil.example","open")',
    ]
    assert written[2][-1] == "'@SUM(A1:A9)"
    assert written[3][-2:] == ["'+cmd", "'-2+3"]


def test_an_old_xls_workbook_is_refused_with_what_to_do_and_a_renamed_xlsx_is_read(
    run: Invoke, tmp_path: Path, data: Path
) -> None:
    """An Excel 97-2003 file is not text: asking for its --encoding would send the analyst the
    wrong way. A workbook saved under a .csv name is still a workbook."""
    old = tmp_path / "export.xls"
    old.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(range(256)) * 8)
    args = ["--time", "when", "--lat", "lat", "--lon", "lon", "--default-type", "vandalism"]
    refused = run("incidents", "import", str(old), *args)
    assert refused.exit_code == 1
    assert "Excel 97-2003 workbook (.xls)" in refused.stderr
    assert "save it as .xlsx" in refused.stderr and "--encoding" not in refused.stderr
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["when", "lat", "lon"])
    sheet.append([datetime(2026, 11, 14, 22, 5), 50.45, 3.95])
    renamed = tmp_path / "export.csv"
    book.save(renamed)
    read = run("incidents", "import", str(renamed), *args)
    assert read.exit_code == 0, read.output
    assert stored_count(data) == 1


def test_a_workbook_whose_recorded_dimension_is_wrong_is_read_whole(
    run: Invoke, tmp_path: Path, data: Path
) -> None:
    """Some exporters record a sheet's used range wrongly; read-only openpyxl trusts it and would
    drop the rows and columns outside it without a word."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["when", "lat", "lon"])
    for day in range(1, 6):
        sheet.append([f"2026-11-{day:02d}", 50.45, 3.95])
    written = tmp_path / "written.xlsx"
    book.save(written)
    path = tmp_path / "export.xlsx"
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', content)
            target.writestr(item, content)
    args = ["--time", "when", "--lat", "lat", "--lon", "lon", "--default-type", "vandalism"]
    result = run("incidents", "import", str(path), *args)
    assert result.exit_code == 0, result.output
    assert "5 line(s) read: 5 added" in result.stdout
    assert stored_count(data) == 5


def test_a_rejects_file_that_is_the_input_file_is_refused_before_anything(
    run: Invoke, tmp_path: Path, data: Path
) -> None:
    """Writing the rejects over the file being imported would destroy the analyst's export."""
    path = tmp_path / "incidents.csv"
    write_bad_file(path)
    before = path.read_bytes()
    args = ["--time", "when", "--lat", "lat", "--lon", "lon", "--type", "type"]
    same = str(tmp_path / "." / "incidents.csv")
    result = run("incidents", "import", str(path), *args, "--rejects", same)
    assert result.exit_code == 2
    assert "--rejects" in result.stderr and "the file being imported" in result.stderr
    assert path.read_bytes() == before
    assert stored_count(data) == 0
