"""The ``[capsules]`` table: two capsules a week per commune by default, set from the file, and
a wrong value named with what to write."""

from __future__ import annotations

from pathlib import Path

import pytest

from prevnet.settings import SettingsError, load_settings


def test_two_capsules_a_week_by_default() -> None:
    assert load_settings(environ={}).capsules.capsules_per_week == 2


def test_the_file_sets_the_cap_and_the_round(tmp_path: Path) -> None:
    path = tmp_path / "prevnet.toml"
    path.write_text("[capsules]\ncapsules_per_week = 1\ncheck_seconds = 0.5\n")
    capsules = load_settings(path, environ={}).capsules
    assert capsules.capsules_per_week == 1 and capsules.check_seconds == 0.5


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("capsules_per_week = 0", "capsules_per_week 0: give a whole number from 1 to 50"),
        ("capsules_per_week = true", "capsules_per_week True: give a whole number"),
        ('check_seconds = "often"', "check_seconds 'often': give 0.1 to 3600"),
        ("per_week = 3", r"unknown \[capsules\] setting\(s\) per_week"),
    ],
)
def test_a_wrong_value_is_named_with_the_fix(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "prevnet.toml"
    path.write_text(f"[capsules]\n{line}\n")
    with pytest.raises(SettingsError, match=message):
        load_settings(path, environ={})
