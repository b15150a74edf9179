"""``!prefs`` words: priorities in FR/NL/DE, quiet hours, languages; a word that cannot be read
changes nothing and says what to write."""

from __future__ import annotations

from datetime import time

import pytest

from bots.commands import UsageError
from bots.prefs_commands import _changed
from phenomena.notify_prefs import NotifyPreference, QuietHours
from phenomena.priority import Priority

START = NotifyPreference("@m:x", Priority.NORMAL, QuietHours(time(22), time(7)), "nl")


@pytest.mark.parametrize(
    ("word", "floor"),
    [
        ("urgent", Priority.URGENT),
        ("dringend", Priority.URGENT),
        ("normaal", Priority.NORMAL),
        ("INFO", Priority.INFO),
        ("informatie", Priority.INFO),
    ],
)
def test_a_priority_floor_in_any_language_changes_that_choice_alone(
    word: str, floor: Priority
) -> None:
    changed = _changed(START, "notify", [word])
    assert changed == NotifyPreference("@m:x", floor, START.quiet, "nl")


def test_quiet_hours_and_none() -> None:
    assert _changed(START, "quiet", ["23:30-06:00"]).quiet == QuietHours(time(23, 30), time(6))
    assert _changed(START, "quiet", ["22h00", "-", "7h00"]).quiet == QuietHours(time(22), time(7))
    assert _changed(START, "quiet", ["none"]).quiet is None
    assert _changed(START, "language", ["de"]).language == "de"


@pytest.mark.parametrize(
    ("topic", "words", "says"),
    [
        ("notify", ["soon"], "write urgent, normal or info"),
        ("notify", [], "prefs notify urgent|normal|info"),
        ("notify", ["urgent", "@other:x"], "prefs notify urgent|normal|info"),
        ("quiet", ["25:00-07:00"], "hours 0-23"),
        ("quiet", ["tonight"], "22:00-07:00"),
        ("quiet", ["22:00-22:00"], "same time"),
        ("language", ["es"], "fr, nl, de, en"),
    ],
)
def test_an_unread_choice_is_refused_with_what_to_write(
    topic: str, words: list[str], says: str
) -> None:
    with pytest.raises(UsageError) as refused:
        _changed(START, topic, words)
    assert says in str(refused.value)
