"""Incidents and detection from the command line, on Belgian data given by latitude/longitude."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from phenomena.territory import TerritoryRegistry
from prevnet.cli import cli
from prevnet.cli.detect import reader_language

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


def write_incidents(
    path: Path, territories: TerritoryRegistry, wave: int, seed: int = 3, history: int = 365
) -> None:
    """A year (``history`` days) of burglaries scattered over 20 km around Mons, and ``wave``
    in 250 m over 7 days."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(900):
        lat = MONS[0] + rng.uniform(-0.09, 0.09)
        lon = MONS[1] + rng.uniform(-0.14, 0.14)
        day = DAY - timedelta(days=int(rng.integers(0, history)))
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
    assert first.exit_code == 1, first.output  # lines were rejected; the rest is imported
    assert "915 line(s) read: 912 added, 0 already known, 3 rejected" in first.output
    assert "line 914: '31/02/2026' is not a day of the calendar" in first.output
    assert "(915): unknown municipality 'Atlantis'" in first.output
    assert "line 916: 2 fields where the header has 6" in first.output
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


def detect_args(*more: str) -> list[str]:
    return ["detect", "--as-of", DAY.isoformat(), "--replicates", "199", *more]


def test_detect_raises_an_alarm_for_the_planted_wave_in_mons(
    run: Invoke, tmp_path: Path, territories: TerritoryRegistry
) -> None:
    path = tmp_path / "incidents.csv"
    write_incidents(path, territories, wave=12)
    run(*import_args(path))
    result = run(*detect_args("--type", "residential-burglary", "--language", "en"))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Detection on 2026-11-20: 1 significant cluster(s)")
    first = result.output.split("\n1. ", 1)[1].split("\n2. ")[0]
    lines = first.splitlines()
    assert lines[0] == "residential-burglary in Mons (Bergen)"
    lat, lon = (float(v) for v in lines[1].split("centre ")[1].split(" (latitude")[0].split(", "))
    metres = math.hypot((lat - MONS[0]) * 111_200, (lon - MONS[1]) * 111_200 * 0.637)
    assert metres <= 500, f"centre {metres:.0f} m from the planted wave"
    assert "nearest municipality Mons (Bergen); radius " in lines[1]
    assert int(lines[1].split("radius ")[1].split(" m")[0].replace(",", "")) <= 1000
    assert " observed, " in lines[2] and " expected (" in lines[2]
    assert lines[3].startswith("  log-likelihood ratio ")
    assert "by chance about once in" in lines[3] or "less than once in" in lines[3]
    assert lines[3].endswith(": ALARM") and " days: ALARM" not in lines[3]
    assert not result.stderr  # a year of history: no warning

    dutch = run(*detect_args("--type", "residential-burglary", "--language", "nl"))
    assert "residential-burglary in Bergen\n" in dutch.output
    assert "nearest municipality Bergen; radius" in dutch.output


def test_detect_as_json_for_scripts(
    run: Invoke, tmp_path: Path, territories: TerritoryRegistry
) -> None:
    path = tmp_path / "incidents.csv"
    write_incidents(path, territories, wave=12)
    run(*import_args(path))
    result = run(*detect_args("--json", "--all", "--language", "fr"))
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["day"] == "2026-11-20" and document["alarms"] == 1
    assert document["warnings"] == []
    wave, *quiet = document["clusters"]
    assert wave["alarm"] is True and wave["kind"] == "residential-burglary"
    assert wave["nearest_municipality"] == {"nis": "53053", "name": "Mons"}
    assert abs(wave["centre"]["lat"] - MONS[0]) < 0.005
    assert abs(wave["centre"]["lon"] - MONS[1]) < 0.007
    assert wave["observed"] >= 10 and wave["expected"] < 3
    assert wave["log_likelihood_ratio"] > 10 and wave["p_value"] < 1 / 365
    assert wave["first_day"] >= "2026-11-06" and wave["last_day"] == "2026-11-20"
    assert len(wave["incident_ids"]) == wave["observed"]
    # --all: the other clusters, none of fewer than three incidents
    assert all(c["alarm"] is False and c["observed"] >= 3 for c in quiet)


def test_detect_on_quiet_data_raises_nothing(
    run: Invoke, tmp_path: Path, territories: TerritoryRegistry
) -> None:
    path = tmp_path / "incidents.csv"
    write_incidents(path, territories, wave=0)
    run(*import_args(path))
    result = run(*detect_args())
    assert "0 significant cluster(s)" in result.output
    assert "The most likely cluster is not significant" in result.output
    everything = run(*detect_args("--all"))
    listed = [line for line in everything.output.splitlines() if " observed, " in line]
    assert listed, everything.output
    assert all(int(line.split(": ")[1].split(" observed")[0]) >= 3 for line in listed)
    assert ": ALARM" not in everything.output


def test_detect_warns_when_the_history_is_too_short_for_the_windows(
    run: Invoke, tmp_path: Path, territories: TerritoryRegistry
) -> None:
    path = tmp_path / "incidents.csv"
    write_incidents(path, territories, wave=0, history=60)
    run(*import_args(path))
    result = run(*detect_args("--type", "residential-burglary"))
    assert result.exit_code == 0, result.output
    assert (
        "warning: residential-burglary: the history covers 60 days (from 2026-09-22), less "
        "than 4 times the longest window (30 days)"
    ) in result.stderr
    assert "import at least 120 days before the analysis day" in result.stderr
    assert json.loads(run(*detect_args("--json")).output)["warnings"][0].startswith(
        "residential-burglary: the history covers 60 days"
    )


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


def test_the_crs_option_says_metres_means_already_in_metres(run: Invoke) -> None:
    text = " ".join(run("incidents", "import", "--help").output.split())
    assert "'metres': already in metres, kept as they are" in text
    assert "Feet need their real system, e.g. EPSG:3435" in text


@pytest.mark.parametrize(
    ("environment", "language"),
    [
        ({"LANG": "nl_BE.UTF-8"}, "nl"),
        ({"LC_ALL": "fr_BE.UTF-8", "LANG": "nl_BE"}, "fr"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_names_are_in_the_readers_language_by_default(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], language: str
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert reader_language() == language
