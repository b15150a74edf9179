"""Members' notification preferences (``notify_preferences``): read in one query for everyone an
escalation may call, written by ``!prefs``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime, time

from sqlalchemy import select

from phenomena.errors import InvalidValue
from phenomena.notify_prefs import LANGUAGES, NotifyPreference, QuietHours
from phenomena.priority import Priority
from phenomena.storage.database import Database
from phenomena.storage.schema_attention import NotifyPreferenceRow
from phenomena.storage.unit_of_work import utc_now
from phenomena.storage.upserts import upsert

log = logging.getLogger(__name__)


class SqlNotifyPreferences:
    """The ``notify_preferences`` table; a member without a row has the defaults."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = db
        self._clock = clock

    async def get(self, member: str) -> NotifyPreference:
        """``member``'s preferences (the defaults if they never chose)."""
        return (await self.get_many([member]))[member]

    async def get_many(self, members: Collection[str]) -> dict[str, NotifyPreference]:
        """The preferences of each of ``members``, in one query."""
        found = {m: NotifyPreference(m) for m in members}
        if not members:
            return found
        async with self._db.sessions() as session:
            rows = await session.scalars(
                select(NotifyPreferenceRow).where(NotifyPreferenceRow.member.in_(list(members)))
            )
            for row in rows:
                found[row.member] = _preference(row)
        return found

    async def set(self, preference: NotifyPreference) -> None:
        """Record ``preference`` whole (the member's earlier choices are replaced)."""
        quiet = preference.quiet
        values = {
            "member": preference.member,
            "min_priority": preference.min_priority.value,
            "quiet_start": f"{quiet.start:%H:%M}" if quiet else None,
            "quiet_end": f"{quiet.end:%H:%M}" if quiet else None,
            "language": preference.language,
            "changed_at": self._clock(),
        }
        async with self._db.sessions() as session, session.begin():
            await upsert(session, NotifyPreferenceRow, ["member"], values)


def _preference(row: NotifyPreferenceRow) -> NotifyPreference:
    """A row read field by field: one that does not read (written by hand or by an older
    prevnet) takes its default and is logged, so that it stops no escalation round."""
    try:
        floor = Priority(row.min_priority)
    except ValueError:
        log.warning("preferences of %s: unknown priority floor; normal is used", row.member)
        floor = Priority.NORMAL
    quiet = None
    if row.quiet_start or row.quiet_end:
        try:
            quiet = QuietHours(
                time.fromisoformat(row.quiet_start or ""), time.fromisoformat(row.quiet_end or "")
            )
        except (ValueError, InvalidValue):
            log.warning("preferences of %s: quiet hours unreadable; none are used", row.member)
    language = row.language if row.language in LANGUAGES else None
    if row.language is not None and language is None:
        log.warning("preferences of %s: unknown language; the room's is used", row.member)
    return NotifyPreference(row.member, floor, quiet, language)
