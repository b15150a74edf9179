"""Notification preferences are kept whole per member and read for many members at once."""

from __future__ import annotations

from datetime import time

from phenomena.notify_prefs import NotifyPreference, QuietHours
from phenomena.priority import Priority
from phenomena.storage.database import Database
from phenomena.storage.notify_prefs import SqlNotifyPreferences


async def test_a_member_without_a_choice_has_the_defaults(db: Database) -> None:
    assert await SqlNotifyPreferences(db).get("@new:x") == NotifyPreference("@new:x")


async def test_choices_are_kept_and_replaced_whole(db: Database) -> None:
    prefs = SqlNotifyPreferences(db)
    night = QuietHours(time(22, 0), time(7, 0))
    await prefs.set(NotifyPreference("@a:x", Priority.URGENT, night, "nl"))
    await prefs.set(NotifyPreference("@b:x", language="de"))
    found = await prefs.get_many(["@a:x", "@b:x", "@c:x"])
    assert found["@a:x"] == NotifyPreference("@a:x", Priority.URGENT, night, "nl")
    assert found["@b:x"] == NotifyPreference("@b:x", language="de")
    assert found["@c:x"] == NotifyPreference("@c:x")
    await prefs.set(NotifyPreference("@a:x", Priority.INFO))
    assert await prefs.get("@a:x") == NotifyPreference("@a:x", Priority.INFO)
