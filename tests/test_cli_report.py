"""``prevnet report`` on the hand-counted scenario: the table, --json and --chart."""

from __future__ import annotations

import importlib
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from PIL import Image

from phenomena.storage.database import Database, sqlite_url
from prevnet.cli import cli
from tests.conftest import run_in_own_loop
from tests.storage.test_report_queries import END, RED_SUMMARY, seed


@pytest.fixture
def data(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory holding the scenario, and the command's clock at 1 December 00:00 UTC
    (01:00 in Brussels, where the dates are shown)."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(sqlite_template, folder / "prevnet.sqlite3")

    async def fill() -> None:
        db = Database.connect(sqlite_url(folder / "prevnet.sqlite3"))
        try:
            await seed(db)
        finally:
            await db.close()

    run_in_own_loop(fill())
    # the module, not the command of the same name that prevnet.cli exports
    monkeypatch.setattr(importlib.import_module("prevnet.cli.report"), "now", lambda: END)
    return folder


def invoke(data: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data), "report", *args])


def test_the_table_lists_each_organisation_with_its_figures(data: Path) -> None:
    result = invoke(data, "--weeks", "4")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "Attention report 03/11/2026 to 01/12/2026: 3 alert(s) sent, to 4 organisation(s); "
        "1 received none."
    )
    assert lines[1].split() == [
        "organisation",
        "received",
        "≤1",
        "h",
        "≤1",
        "day",
        "later",
        "never",
        "escalations",
        "useful",
    ]
    rows = {line.split("]")[0].split("[")[-1]: line.split("]")[1].split() for line in lines[2:6]}
    assert rows == {
        "spf": ["2", "0", "0", "1", "1", "1", "-"],
        "zp-boraine": ["2", "0", "0", "0", "2", "0", "-"],
        "zp-mons": ["2", "2", "0", "0", "0", "1", "67%", "of", "3"],
        "pcs-mons": ["1", "0", "1", "0", "0", "0", "100%", "of", "1"],
    }
    assert lines[2].startswith("SPF Intérieur [spf]")
    assert RED_SUMMARY not in result.output


def test_json_for_scripts(data: Path) -> None:
    result = invoke(data, "--weeks", "4", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["weeks"] == 4
    assert document["alerts"] == 3
    assert document["end"] == "2026-12-01T00:00:00+00:00"
    assert document["quiet_organisations"] == 1
    mons = next(o for o in document["organisations"] if o["key"] == "zp-mons")
    assert mons == {
        "key": "zp-mons",
        "name": "ZP Mons/Quévy",
        "received": 2,
        "seen_within_hour": 2,
        "seen_within_day": 0,
        "seen_later": 0,
        "never_seen": 0,
        "escalations": 1,
        "useful_yes": 2,
        "useful_no": 1,
        "usefulness": 0.6667,
    }
    assert RED_SUMMARY not in result.output


def test_a_shorter_period_and_the_chart_file(data: Path) -> None:
    chart = data.parent / "report.png"
    result = invoke(data, "--weeks", "1", "--chart", str(chart))
    assert result.exit_code == 0, result.output
    # the last week of November holds only the AMBER alert, never seen by Boraine before the end
    assert "1 alert(s) sent, to 1 organisation(s)" in result.output
    assert result.output.splitlines()[-1] == f"chart written to {chart}"
    picture = Image.open(io.BytesIO(chart.read_bytes()))
    assert picture.format == "PNG" and picture.width == 960
    assert chart.stat().st_mode & 0o077 == 0  # owner only, like every file prevnet writes


def test_bad_input_is_refused_with_what_to_do(data: Path) -> None:
    result = invoke(data, "--weeks", "0")
    assert result.exit_code == 2
    assert "0 is not in the range 1<=x<=104" in result.output
    result = invoke(data, "--chart", str(data / "missing" / "chart.png"))
    assert result.exit_code == 1
    assert "cannot write the chart to" in result.output
    assert "give a file in a folder you may write to" in result.output


def test_a_period_longer_than_retention_is_warned_about(data: Path) -> None:
    config = data.parent / "prevnet.toml"
    config.write_text("[prevnet]\nretention_days = 30\n")
    result = CliRunner().invoke(
        cli, ["--config", str(config), "--data-dir", str(data), "report", "--weeks", "6"]
    )
    assert result.exit_code == 0, result.output
    assert "warning: reactions older than retention_days (30) are purged" in result.output
