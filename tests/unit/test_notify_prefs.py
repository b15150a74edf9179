"""Notification preferences: the priority floor, quiet hours across midnight (urgent still
rings), and the spans people type."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from phenomena.errors import InvalidValue
from phenomena.notify_prefs import NotifyPreference, QuietHours
from phenomena.priority import Priority

NIGHT = QuietHours(time(22, 0), time(7, 0))


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 5, hour, minute)


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [(21, 59, False), (22, 0, True), (23, 30, True), (0, 0, True), (6, 59, True), (7, 0, False)],
)
def test_quiet_hours_run_past_midnight(hour: int, minute: int, quiet: bool) -> None:
    assert NIGHT.contains(time(hour, minute)) is quiet


def test_in_quiet_hours_only_urgent_notifies() -> None:
    member = NotifyPreference("@a:x", quiet=NIGHT)
    assert not member.notifies(Priority.NORMAL, at(23))
    assert member.notifies(Priority.URGENT, at(23))
    assert member.notifies(Priority.NORMAL, at(12))


def test_the_floor_holds_back_what_is_below_it_at_any_hour() -> None:
    member = NotifyPreference("@a:x", min_priority=Priority.URGENT)
    assert not member.notifies(Priority.NORMAL, at(12))
    assert member.notifies(Priority.URGENT, at(12))
    assert not NotifyPreference("@a:x").notifies(Priority.INFO, at(12))
    assert NotifyPreference("@a:x", min_priority=Priority.INFO).notifies(Priority.INFO, at(12))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22:00-07:00", "22:00-07:00"),
        ("22h00 - 7h30", "22:00-07:30"),
        ("9.00-17.00", "09:00-17:00"),
    ],
)
def test_spans_as_people_type_them(text: str, expected: str) -> None:
    assert str(QuietHours.parse(text)) == expected


def test_none_means_no_quiet_hours() -> None:
    assert QuietHours.parse("geen") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tonight", "write it as 22:00-07:00, or none"),
        ("25:00-07:00", "hours 0-23"),
        ("22:00-22:00", "start and end at the same time"),
    ],
)
def test_a_bad_span_says_how_to_write_it(text: str, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        QuietHours.parse(text)


def test_an_unknown_language_is_named() -> None:
    with pytest.raises(InvalidValue, match="write one of fr, nl, de, en"):
        NotifyPreference("@a:x", language="es")
