"""The weekly volume budget: ISO weeks in Brussels time, who is held, and what they are asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from phenomena.budget import RoomVolume, budget_prompt, budget_week, full_rooms
from phenomena.priority import Priority

BRUSSELS = "Europe/Brussels"


def test_the_week_is_monday_to_monday_in_brussels_time() -> None:
    # Sunday 23:30 UTC is Monday 00:30 in Brussels (winter, UTC+1): a new week already
    start, end = budget_week(datetime(2026, 11, 29, 23, 30, tzinfo=UTC), BRUSSELS)
    assert start.astimezone(UTC) == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert end - start == timedelta(days=7)
    earlier, _ = budget_week(datetime(2026, 11, 29, 22, 30, tzinfo=UTC), BRUSSELS)
    assert earlier.astimezone(UTC) == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    # the week of the switch to summer time has 167 hours
    start, end = budget_week(datetime(2026, 3, 25, 12, tzinfo=UTC), BRUSSELS)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=167)


def test_only_normal_alerts_by_authors_are_held() -> None:
    volumes = {"zone:5324": RoomVolume(normal=2, urgent=4), "province:50000": RoomVolume(1)}
    rooms = ["zone:5324", "province:50000"]
    assert full_rooms(Priority.NORMAL, rooms, volumes, 2) == ("zone:5324",)
    assert full_rooms(Priority.NORMAL, rooms, volumes, 3) == ()  # urgent ones are not counted
    assert full_rooms(Priority.URGENT, rooms, volumes, 1) == ()
    assert full_rooms(Priority.INFO, rooms, volumes, 1) == ()
    assert full_rooms(Priority.NORMAL, rooms, volumes, 1, by_moderator=True) == ()


def test_the_prompt_says_how_to_confirm_or_fold() -> None:
    text = budget_prompt("A-12", ["zone:5324"], {"zone:5324": RoomVolume(normal=5)}, 5)
    assert "zone:5324 (5)" in text
    assert "!alert publish A-12 confirm" in text and "!alert fold A-12" in text
