"""Members' usefulness votes (``usefulness_votes``): written by ``!useful`` and 👍/👎 reactions,
read as counts for ``!alert reach``, the weekly digest and the report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, func, select

from phenomena.storage.database import Database
from phenomena.storage.schema import AlertRow
from phenomena.storage.schema_attention import UsefulnessVoteRow
from phenomena.storage.unit_of_work import utc_now
from phenomena.storage.upserts import upsert
from phenomena.usefulness import Tally, Vote


class SqlUsefulness:
    """The ``usefulness_votes`` table: one row per (alert, member), the latest word kept."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = db
        self._clock = clock

    async def vote(self, vote: Vote) -> bool | None:
        """Record ``vote`` in place of the member's earlier one on the alert; returns that
        earlier word (None: their first)."""
        async with self._db.sessions() as session, session.begin():
            before = await session.scalar(
                select(UsefulnessVoteRow.useful).where(
                    UsefulnessVoteRow.alert_id == vote.alert_id,
                    UsefulnessVoteRow.member == vote.member,
                )
            )
            values = {
                "alert_id": vote.alert_id,
                "member": vote.member,
                "organisation": vote.organisation,
                "useful": vote.useful,
                "source": vote.source,
                "at": self._clock(),
            }
            await upsert(session, UsefulnessVoteRow, ["alert_id", "member"], values)
        return None if before is None else bool(before)

    async def votes(self, alert_id: int) -> list[Vote]:
        """Every member's vote on one alert, by member."""
        async with self._db.sessions() as session:
            rows = await session.scalars(
                select(UsefulnessVoteRow)
                .where(UsefulnessVoteRow.alert_id == alert_id)
                .order_by(UsefulnessVoteRow.member)
            )
            return [Vote(r.alert_id, r.member, r.organisation, r.useful, r.source) for r in rows]

    async def tally(self, alert_id: int) -> Tally:
        """The yes and no votes on one alert."""
        return (await self._tallies(UsefulnessVoteRow.alert_id == alert_id)).get(alert_id, Tally())

    async def tallies_since(self, since: datetime) -> dict[int, Tally]:
        """The yes and no votes on each alert created at or after ``since``, in one query."""
        return await self._tallies(AlertRow.created_at >= since)

    async def _tallies(self, where: ColumnElement[bool]) -> dict[int, Tally]:
        statement = (
            select(UsefulnessVoteRow.alert_id, UsefulnessVoteRow.useful, func.count())
            .join(AlertRow, AlertRow.id == UsefulnessVoteRow.alert_id)
            .where(where)
            .group_by(UsefulnessVoteRow.alert_id, UsefulnessVoteRow.useful)
        )
        found: dict[int, Tally] = {}
        async with self._db.sessions() as session:
            for alert_id, useful, count in await session.execute(statement):
                tally = Tally(yes=count) if useful else Tally(no=count)
                found[alert_id] = found.get(alert_id, Tally()) + tally
        return found
