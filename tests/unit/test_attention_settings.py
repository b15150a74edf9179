"""The ``[attention]`` table: the issue's defaults, fractions of a minute for tests, and a
wrong value named with what to write."""

from __future__ import annotations

from pathlib import Path

import pytest

from prevnet.settings import SettingsError, load_settings


def test_the_defaults_are_the_workshop_figures() -> None:
    attention = load_settings(environ={}).attention
    assert (attention.ack_minutes_urgent, attention.ack_minutes_normal) == (30.0, 1440.0)
    assert attention.moderation_minutes == 60.0
    assert attention.budget_per_week == 5


def test_the_file_sets_them_in_fractions_of_a_minute(tmp_path: Path) -> None:
    path = tmp_path / "prevnet.toml"
    path.write_text("[attention]\nack_minutes_urgent = 0.05\nbudget_per_week = 2\n")
    attention = load_settings(path, environ={}).attention
    assert attention.ack_minutes_urgent == pytest.approx(0.05)
    assert attention.budget_per_week == 2
    assert attention.ack_minutes_normal == 1440.0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("budget_per_week = 0", "budget_per_week 0: give a whole number from 1 to 1000"),
        ("budget_per_week = 2.5", "budget_per_week 2.5: give a whole number"),
        ('ack_minutes_normal = "soon"', "ack_minutes_normal 'soon': give a number"),
        ("moderation_minutes = -1", "moderation_minutes -1.0: give minutes"),
        ("ack_minute = 3", r"unknown \[attention\] setting\(s\) ack_minute"),
    ],
)
def test_a_wrong_value_is_named_with_the_fix(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "prevnet.toml"
    path.write_text(f"[attention]\n{line}\n")
    with pytest.raises(SettingsError, match=message):
        load_settings(path, environ={})
