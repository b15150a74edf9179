"""Incidents and detection from the command line, on Belgian data given by latitude/longitude."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from phenomena.territory import TerritoryRegistry
from prevnet.cli import cli

Invoke = Callable[..., Result]
DAY = date(2026, 11, 20)
MONS = (50.4541, 3.9523)  # lat, lon of the Grand-Place


@pytest.fixture
def run(tmp_path: Path) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(
            cli, ["--data-dir", str(tmp_path / "data"), *args], catch_exceptions=False
        )

    return invoke


def nearest(territories: TerritoryRegistry, lat: float, lon: float) -> str:
    best = min(
        territories.municipalities.values(),
        key=lambda m: (m.lat - lat) ** 2 + ((m.lon - lon) * math.cos(math.radians(lat))) ** 2,
    )
    return best.name_fr


def write_incidents(path: Path, territories: TerritoryRegistry, wave: int, seed: int = 3) -> None:
    """A year of burglaries scattered over 20 km around Mons, and ``wave`` in 250 m over 7 days."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(900):
        lat = MONS[0] + rng.uniform(-0.09, 0.09)
        lon = MONS[1] + rng.uniform(-0.14, 0.14)
        day = DAY - timedelta(days=int(rng.integers(0, 365)))
        rows.append(
            [
                day.isoformat(),
                f"{lat:.6f}",
                f"{lon:.6f}",
                nearest(territories, lat, lon),
                "Cambriolage d'habitation",
                "porte arrière forcée",
            ]
        )
    for i in range(wave):
        angle, r = rng.uniform(0, 2 * math.pi), 250 * math.sqrt(rng.uniform())
        lat = MONS[0] + r * math.sin(angle) / 111_200
        lon = MONS[1] + r * math.cos(angle) / (111_200 * math.cos(math.radians(MONS[0])))
        day = DAY - timedelta(days=int(rng.integers(0, 7)))
        rows.append(
            [
                day.strftime("%d/%m/%Y"),
                f"{lat:.6f}",
                f"{lon:.6f}",
                "Mons",
                "woninginbraak",
                f"vitre cassée {i}",
            ]
        )
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["quand", "lat", "lon", "commune", "fait", "mode"])
        writer.writerows(rows)
        handle.write("31/02/2026;50.45;3.95;Mons;vol;x\n")  # no such day
        handle.write("2026-11-01;50.45;;Atlantis;vandalism;x\n")  # no place
        handle.write("2026-11-01;50.45\n")  # a broken line


def import_args(path: Path) -> list[str]:
    return [
        "incidents",
        "import",
        str(path),
        "--time",
        "quand",
        "--lat",
        "lat",
        "--lon",
        "lon",
        "--municipality",
        "commune",
        "--type",
        "fait",
        "--modus",
        "mode",
    ]


def test_import_reports_every_rejected_line_and_adds_nothing_twice(
    run: Invoke, tmp_path: Path, territories: TerritoryRegistry
) -> None:
    path = tmp_path / "incidents.csv"
    write_incidents(path, territories, wave=12)
    first = run(*import_args(path))
    assert first.exit_code == 0, first.output
    assert "915 line(s) read: 912 added, 0 already known, 3 rejected" in first.output
    assert "line 914: '31/02/2026' is not a day of the calendar" in first.stderr
    assert "line 915: unknown municipality 'Atlantis'" in first.stderr
    assert "line 916: 2 fields where the header has 6" in first.stderr
    again = run(*import_args(path))
    assert "0 added, 912 already known, 3 rejected" in again.output


def test_a_bad_mapping_is_explained(
    run: Invoke, tmp_path: Path, territories: TerritoryRegistry
) -> None:
    path = tmp_path / "incidents.csv"
    write_incidents(path, territories, wave=0)
    result = run("incidents", "import", str(path), "--time", "when", "--lat", "lat")
    assert result.exit_code == 1
    assert "--time names column 'when', which the file does not have" in result.stderr
    assert "say where incidents are" in result.stderr
    assert "say what incidents are" in result.stderr


def test_detect_raises_an_alarm_for_the_planted_wave_in_mons(
    run: Invoke, tmp_path: Path, territories: TerritoryRegistry
) -> None:
    path = tmp_path / "incidents.csv"
    write_incidents(path, territories, wave=12)
    run(*import_args(path))
    result = run(
        "detect",
        "--type",
        "residential-burglary",
        "--as-of",
        DAY.isoformat(),
        "--replicates",
        "199",
    )
    assert result.exit_code == 0, result.output
    assert (
        "1 significant cluster(s)" in result.output.splitlines()[0]
        or "significant cluster(s)" in result.output
    )
    first = result.output.split("\n1. ", 1)[1]
    assert first.startswith("residential-burglary in Mons (Bergen)")
    assert ": ALARM" in first.split("\n2. ")[0]


def test_detect_on_quiet_data_raises_nothing(
    run: Invoke, tmp_path: Path, territories: TerritoryRegistry
) -> None:
    path = tmp_path / "incidents.csv"
    write_incidents(path, territories, wave=0)
    run(*import_args(path))
    result = run("detect", "--as-of", DAY.isoformat(), "--replicates", "199")
    assert "0 significant cluster(s)" in result.output
    assert "The most likely cluster is not significant" in result.output


def test_knox_on_the_chicago_file(run: Invoke) -> None:
    data = Path(__file__).parent / "data" / "incidents" / "chicago_residential_burglary_2016.csv"
    imported = run(
        "incidents",
        "import",
        str(data),
        "--time",
        "date",
        "--x",
        "X",
        "--y",
        "Y",
        "--crs",
        "metres",
        "--default-type",
        "residential-burglary",
    )
    assert "11700 added" in imported.output
    result = run("incidents", "knox", "--as-of", "2016-12-31", "--permutations", "99")
    assert result.exit_code == 0, result.output
    ratio = float(result.output.split("ratio ")[1].split(",")[0])
    assert 1.1 <= ratio <= 1.35
