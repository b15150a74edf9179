"""Notification preferences are kept whole per member and read for many members at once."""

from __future__ import annotations

from datetime import UTC, datetime, time

from phenomena.notify_prefs import NotifyPreference, QuietHours
from phenomena.priority import Priority
from phenomena.storage.database import Database
from phenomena.storage.notify_prefs import SqlNotifyPreferences
from phenomena.storage.schema_attention import NotifyPreferenceRow


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


async def test_an_odd_row_falls_back_to_the_defaults_and_stops_nobody_elses(db: Database) -> None:
    """A row written by hand or by an older prevnet (an unknown language or priority, a span
    that is no span) must not stop the escalation round that reads everyone's preferences."""
    prefs = SqlNotifyPreferences(db)
    night = QuietHours(time(22, 0), time(7, 0))
    await prefs.set(NotifyPreference("@good:x", Priority.URGENT, night, "nl"))
    odd: list[dict[str, str | None]] = [
        {"member": "@lang:x", "min_priority": "urgent", "language": "es"},
        {"member": "@prio:x", "min_priority": "loud", "language": "fr"},
        {"member": "@same:x", "min_priority": "normal", "quiet_start": "22:00"},
        {"member": "@bad:x", "min_priority": "info", "quiet_start": "25:99"},
    ]
    async with db.sessions() as session, session.begin():
        for row in odd:
            row.setdefault("quiet_end", row.get("quiet_start"))
            session.add(NotifyPreferenceRow(**row, changed_at=datetime.now(UTC)))
    found = await prefs.get_many(["@good:x", "@lang:x", "@prio:x", "@same:x", "@bad:x"])
    assert found["@good:x"] == NotifyPreference("@good:x", Priority.URGENT, night, "nl")
    assert found["@lang:x"] == NotifyPreference("@lang:x", Priority.URGENT)
    assert found["@prio:x"] == NotifyPreference("@prio:x", language="fr")
    assert found["@same:x"] == NotifyPreference("@same:x")
    assert found["@bad:x"] == NotifyPreference("@bad:x", Priority.INFO)
