"""Where each alert's bulletins and moderation notice are, and who acknowledged them.

A reaction can come before the bot has recorded the bulletin it answers (people react within
a second). Such a reaction is held as pending and becomes an acknowledgement when the
bulletin's record is written (a 👍/👎 also a usefulness vote, if made in the bulletin's room);
one on anything else is dropped after ``PENDING_FOR``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from phenomena.storage.database import Database
from phenomena.storage.locks import lock_key
from phenomena.storage.schema import (
    AcknowledgementRow,
    BulletinRow,
    ModerationNoticeRow,
    PendingReactionRow,
)
from phenomena.storage.schema_attention import PendingVoteRow, UsefulnessVoteRow
from phenomena.storage.unit_of_work import utc_now
from phenomena.storage.upserts import upsert

PENDING_FOR = timedelta(minutes=10)  # a bulletin is recorded within seconds of being sent


@dataclass(frozen=True)
class BulletinRecord:
    """One bulletin as sent: the room, the Matrix event, and the alert version it shows."""

    alert_id: int
    room: str
    room_id: str
    event_id: str
    version: int


class SqlBulletinLedger:
    """The bulletin ledger on SQLAlchemy (short transactions, one per call)."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = db
        self._clock = clock

    async def bulletins(self, alert_id: int) -> dict[str, BulletinRecord]:
        """The bulletins of an alert by room key."""
        async with self._db.sessions() as session:
            rows = await session.scalars(
                select(BulletinRow).where(BulletinRow.alert_id == alert_id)
            )
            return {
                r.room: BulletinRecord(r.alert_id, r.room, r.room_id, r.event_id, r.version)
                for r in rows
            }

    async def record_bulletin(self, record: BulletinRecord) -> None:
        """Remember a bulletin just sent (a second record of the same one is ignored), and turn
        the reactions already held for it into acknowledgements."""
        async with self._db.sessions() as session, session.begin():
            await _one_at_a_time(session, record.event_id)
            await upsert(
                session,
                BulletinRow,
                ["alert_id", "room"],
                {
                    "alert_id": record.alert_id,
                    "room": record.room,
                    "room_id": record.room_id,
                    "event_id": record.event_id,
                    "version": record.version,
                    "sent_at": self._clock(),
                },
                update=[],
            )
            held = await session.scalars(
                select(PendingReactionRow).where(PendingReactionRow.target == record.event_id)
            )
            for reaction in held:
                await self._acknowledge(
                    session, record, reaction.member, reaction.organisation, reaction.at
                )
            await session.execute(
                delete(PendingReactionRow).where(PendingReactionRow.target == record.event_id)
            )
            await _count_held_votes(session, record)

    async def hold_reaction(
        self,
        event_id: str,
        target: str,
        member: str,
        organisation: str,
        vote: tuple[bool, str] | None = None,
    ) -> bool:
        """A reaction on an event that is no recorded bulletin: acknowledge at once if the
        bulletin's record came meanwhile (True), else hold it until it comes (False).

        ``vote`` (useful, the room the reaction was made in) is held with it, and counted
        when the record is written in that room; the caller votes itself on True."""
        now = self._clock()
        async with self._db.sessions() as session, session.begin():
            await _one_at_a_time(session, target)
            await session.execute(
                delete(PendingReactionRow).where(PendingReactionRow.at < now - PENDING_FOR)
            )
            await session.execute(
                delete(PendingVoteRow).where(PendingVoteRow.at < now - PENDING_FOR)
            )
            reaction: dict[str, Any] = {"event_id": event_id, "target": target, "at": now}
            reaction |= {"member": member, "organisation": organisation}
            await upsert(session, PendingReactionRow, ["event_id"], reaction, update=[])
            row = await session.scalar(select(BulletinRow).where(BulletinRow.event_id == target))
            if row is None:
                if vote is not None:
                    held = reaction | {"useful": vote[0], "room_id": vote[1]}
                    await upsert(session, PendingVoteRow, ["event_id"], held, update=[])
                return False
            record = BulletinRecord(row.alert_id, row.room, row.room_id, target, row.version)
            await self._acknowledge(session, record, member, organisation, now)
            await session.execute(
                delete(PendingReactionRow).where(PendingReactionRow.event_id == event_id)
            )
            return True

    @staticmethod
    async def _acknowledge(
        session: AsyncSession,
        record: BulletinRecord,
        member: str,
        organisation: str,
        at: datetime,
    ) -> None:
        seen: dict[str, Any] = {"alert_id": record.alert_id, "room": record.room, "at": at}
        seen |= {"member": member, "organisation": organisation}
        await upsert(session, AcknowledgementRow, ["alert_id", "member"], seen, update=[])

    async def mark_edited(self, alert_id: int, room: str, version: int) -> None:
        """The bulletin now shows this version."""
        async with self._db.sessions() as session, session.begin():
            await session.execute(
                update(BulletinRow)
                .where(BulletinRow.alert_id == alert_id, BulletinRow.room == room)
                .values(version=version, edited_at=self._clock())
            )

    async def find_bulletin(self, event_id: str) -> BulletinRecord | None:
        """The bulletin a Matrix event is (for reactions and thread replies)."""
        async with self._db.sessions() as session:
            row = await session.scalar(select(BulletinRow).where(BulletinRow.event_id == event_id))
            if row is None:
                return None
            return BulletinRecord(row.alert_id, row.room, row.room_id, row.event_id, row.version)

    async def moderation_notice(self, alert_id: int) -> tuple[str, str] | None:
        """The room and event of an alert's moderation notice."""
        async with self._db.sessions() as session:
            row = await session.get(ModerationNoticeRow, alert_id)
            return (row.room_id, row.event_id) if row else None

    async def record_moderation_notice(self, alert_id: int, room_id: str, event_id: str) -> None:
        """Remember the moderation notice of an alert."""
        async with self._db.sessions() as session, session.begin():
            if await session.get(ModerationNoticeRow, alert_id) is None:
                session.add(
                    ModerationNoticeRow(alert_id=alert_id, room_id=room_id, event_id=event_id)
                )

    async def find_moderation_notice(self, event_id: str) -> int | None:
        """The alert whose moderation notice is this event."""
        async with self._db.sessions() as session:
            found = await session.scalar(
                select(ModerationNoticeRow.alert_id).where(ModerationNoticeRow.event_id == event_id)
            )
            return None if found is None else int(found)

    async def acknowledge(self, alert_id: int, member: str, organisation: str, room: str) -> bool:
        """Record that a member has seen an alert; False if they already had."""
        async with self._db.sessions() as session, session.begin():
            if await session.get(AcknowledgementRow, (alert_id, member)) is not None:
                return False
            session.add(
                AcknowledgementRow(
                    alert_id=alert_id,
                    member=member,
                    organisation=organisation,
                    room=room,
                    at=self._clock(),
                )
            )
            return True

    async def acknowledgements(self, alert_id: int) -> dict[str, list[str]]:
        """Who has seen an alert, by organisation."""
        async with self._db.sessions() as session:
            rows = await session.scalars(
                select(AcknowledgementRow).where(AcknowledgementRow.alert_id == alert_id)
            )
            seen: dict[str, list[str]] = {}
            for row in rows:
                seen.setdefault(row.organisation, []).append(row.member)
            return seen


async def _count_held_votes(session: AsyncSession, record: BulletinRecord) -> None:
    """The 👍/👎 held for a bulletin become votes, if made in its room; a member's word
    recorded meanwhile (a later ``!useful``) is kept."""
    held = await session.scalars(
        select(PendingVoteRow)
        .where(PendingVoteRow.target == record.event_id)
        .order_by(PendingVoteRow.at)
    )
    latest = {v.member: v for v in held if v.room_id == record.room_id}  # elsewhere: nothing
    for vote in latest.values():
        values: dict[str, Any] = {"alert_id": record.alert_id, "member": vote.member}
        values |= {"organisation": vote.organisation, "useful": vote.useful, "at": vote.at}
        await upsert(
            session,
            UsefulnessVoteRow,
            ["alert_id", "member"],
            values | {"source": "reaction"},
            update=[],
        )
    await session.execute(delete(PendingVoteRow).where(PendingVoteRow.target == record.event_id))


async def _one_at_a_time(session: AsyncSession, event_id: str) -> None:
    """Serialise a reaction and its bulletin's record, so that neither misses the other.

    On PostgreSQL a transaction lock on the event; SQLite has one writer at a time, and each
    caller writes before it reads.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = lock_key(f"bulletin-event:{event_id}")
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
