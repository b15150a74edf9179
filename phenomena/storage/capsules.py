"""Stored citizen capsules: drafts, edits that reset approval, approval under the weekly cap, and
the published ones a commune's feed shows.

A capsule that goes out is marked published in the same commit that queues its
``CapsulePublished`` event in the outbox, so a crash neither loses nor repeats it; the state
guard in each ``UPDATE`` (``WHERE state = ...``) keeps two approvals or two scheduler rounds
from publishing one capsule twice.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from phenomena.alert import format_ref
from phenomena.capsules.capsule import Capsule
from phenomena.capsules.said import said
from phenomena.capsules.service import CapsuleRecord, CapsuleState, format_capsule_ref, iso_week
from phenomena.errors import AlreadyDone, InvalidValue, NotFound
from phenomena.events import CapsulePublished
from phenomena.storage.database import Database
from phenomena.storage.locks import lock_key
from phenomena.storage.schema import AlertRow, OutboxRow, ProcessedCommandRow
from phenomena.storage.schema_capsules import CapsuleOptOutRow, CapsulePartRow, CapsuleRow
from phenomena.taxonomy import PhenomenonType
from phenomena.tlp import Tlp

CONSUMER = "bots"
"""The outbox consumer that posts capsules (Matrix) and mails them (its own subscription)."""


class SqlCapsules:
    """Capsules in the database; ``after_commit`` wakes the dispatcher once something is queued.

    ``once`` is the chat event of the command (or None): marked done in the same commit as its
    effects, so a command seen again after a crash raises ``AlreadyDone`` and changes nothing.
    """

    def __init__(self, db: Database, after_commit: Callable[[], None] | None = None) -> None:
        self._db = db
        self._after_commit = after_commit

    @contextlib.asynccontextmanager
    async def _transaction(self, once: str | None, now: datetime) -> AsyncIterator[AsyncSession]:
        try:
            async with self._db.sessions() as session, session.begin():
                if once is not None:
                    session.add(ProcessedCommandRow(event_id=once, at=now))
                    await session.flush()
                yield session
        except IntegrityError:
            if once is None:
                raise
            raise AlreadyDone(f"command {once} was already carried out") from None

    async def add(
        self,
        *,
        alert_id: int,
        municipality: str,
        organisation: str,
        author: str,
        capsules: Sequence[Capsule],
        findings: Mapping[str, Sequence[str]],
        now: datetime,
        once: str | None = None,
    ) -> CapsuleRecord:
        """Store a new draft; its number (``C-n``) is never reused."""
        row = CapsuleRow(
            alert_id=alert_id,
            municipality=municipality,
            organisation=organisation,
            author=author,
            state=CapsuleState.DRAFT.value,
            created_at=now,
            updated_at=now,
        )
        row.parts = [_part_row(c, i, findings.get(c.language, ())) for i, c in enumerate(capsules)]
        async with self._transaction(once, now) as session:
            session.add(row)
            await session.flush()
            capsule_id = row.id
        found = await self.get(capsule_id)
        assert found is not None
        return found

    async def get(self, capsule_id: int) -> CapsuleRecord | None:
        """The capsule, with its alert's current type and TLP (None: no such capsule)."""
        async with self._db.sessions() as session:
            found = await session.execute(
                select(CapsuleRow, AlertRow.type, AlertRow.tlp)
                .join(AlertRow, AlertRow.id == CapsuleRow.alert_id)
                .where(CapsuleRow.id == capsule_id)
            )
            row = found.first()
        return None if row is None else _record(row[0], row[1], row[2])

    async def edit(
        self,
        capsule_id: int,
        capsule: Capsule,
        findings: Sequence[str],
        now: datetime,
        once: str | None = None,
    ) -> CapsuleRecord:
        """Replace one language's text; an approved or waiting capsule goes back to draft."""
        async with self._transaction(once, now) as session:
            row = await session.get(CapsuleRow, capsule_id, with_for_update=True)
            ref = format_capsule_ref(capsule_id)
            if row is None:
                raise said(NotFound, "there is no capsule {ref}", ref=ref)
            if row.state == CapsuleState.PUBLISHED.value:
                raise said(
                    InvalidValue,
                    "{ref} is published: what residents read is not changed afterwards; draft "
                    "a new capsule from {alert}",
                    ref=ref,
                    alert=format_ref(row.alert_id),
                )
            part = next((p for p in row.parts if p.language == capsule.language), None)
            if part is None:
                raise said(
                    InvalidValue, "{ref} has no {language} part", ref=ref, language=capsule.language
                )
            _fill_part(part, capsule, findings)
            row.state = CapsuleState.DRAFT.value
            row.approver = None
            row.approved_at = None
            row.updated_at = now
        found = await self.get(capsule_id)
        assert found is not None
        return found

    async def approve(
        self,
        capsule_id: int,
        approver: str,
        now: datetime,
        per_week: int,
        timezone: str,
        once: str | None = None,
    ) -> CapsuleRecord:
        """Approve a draft: published now if its commune's week has room and nothing waits
        before it, else waiting. Only a draft is approved (a concurrent edit or approval wins)."""
        week = iso_week(now, timezone)
        queued = False
        async with self._transaction(once, now) as session:
            approved = await session.execute(
                update(CapsuleRow)
                .where(CapsuleRow.id == capsule_id, CapsuleRow.state == CapsuleState.DRAFT.value)
                .values(
                    state=CapsuleState.WAITING.value,
                    approver=approver,
                    approved_at=now,
                    updated_at=now,
                )
                .returning(CapsuleRow.municipality)
            )
            municipality = approved.scalar_one_or_none()
            if municipality is None:
                raise said(
                    InvalidValue,
                    "{ref} is no draft any more: see it again with !capsule show {ref}",
                    ref=format_capsule_ref(capsule_id),
                )
            queued = bool(await _publish_waiting(session, municipality, week, per_week, now))
        if queued and self._after_commit is not None:
            self._after_commit()
        found = await self.get(capsule_id)
        assert found is not None
        return found

    async def publish_due(self, now: datetime, per_week: int, timezone: str) -> list[int]:
        """Publish the waiting capsules this week has room for, per commune, oldest approval
        first (the scheduler's job; running it twice publishes nothing more)."""
        week = iso_week(now, timezone)
        published: list[int] = []
        async with self._db.sessions() as session, session.begin():
            communes = await session.scalars(
                select(CapsuleRow.municipality)
                .where(CapsuleRow.state == CapsuleState.WAITING.value)
                .distinct()
            )
            for municipality in sorted(communes):
                published += await _publish_waiting(session, municipality, week, per_week, now)
        if published and self._after_commit is not None:
            self._after_commit()
        return published

    async def published(self, municipality: str) -> list[CapsuleRecord]:
        """The commune's published capsules whose alert is still CLEAR or GREEN, newest first."""
        async with self._db.sessions() as session:
            rows = await session.execute(
                select(CapsuleRow, AlertRow.type, AlertRow.tlp)
                .join(AlertRow, AlertRow.id == CapsuleRow.alert_id)
                .where(
                    CapsuleRow.municipality == municipality,
                    CapsuleRow.state == CapsuleState.PUBLISHED.value,
                    AlertRow.tlp.in_((Tlp.CLEAR.value, Tlp.GREEN.value)),
                )
                .order_by(CapsuleRow.published_at.desc(), CapsuleRow.id.desc())
            )
            return [_record(r[0], r[1], r[2]) for r in rows]

    async def opt_out(self, address: str, now: datetime) -> None:
        """No more capsule mails to ``address`` (its unsubscribe link); twice is once."""
        key = address.strip().lower()
        try:
            async with self._db.sessions() as session, session.begin():
                if await session.get(CapsuleOptOutRow, key) is None:
                    session.add(CapsuleOptOutRow(address=key, at=now))
        except IntegrityError:
            pass  # two clicks at once: the other one recorded it

    async def opt_in(self, address: str) -> bool:
        """Capsule mails to ``address`` again; False if it had not unsubscribed."""
        async with self._db.sessions() as session, session.begin():
            done = await session.execute(
                delete(CapsuleOptOutRow).where(CapsuleOptOutRow.address == address.strip().lower())
            )
        return bool(getattr(done, "rowcount", 0))

    async def opted_out(self, addresses: Collection[str]) -> set[str]:
        """Those of ``addresses`` (as given) that unsubscribed from capsule mails."""
        keys = {a.strip().lower(): a for a in addresses}
        if not keys:
            return set()
        async with self._db.sessions() as session:
            found = await session.scalars(
                select(CapsuleOptOutRow.address).where(CapsuleOptOutRow.address.in_(keys))
            )
            return {keys[a] for a in found}


async def _publish_waiting(
    session: AsyncSession, municipality: str, week: str, per_week: int, now: datetime
) -> list[int]:
    """Publish, in approval order, as many of the commune's waiting capsules as ``week`` has
    room for; each with its event in the outbox (same transaction).

    Two instances approving for one commune at the same instant take turns (a PostgreSQL
    advisory lock until commit; SQLite already has one writer at a time), so the count is right.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = lock_key(f"capsules:{municipality}")
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    count = await session.scalar(
        select(func.count())
        .select_from(CapsuleRow)
        .where(
            CapsuleRow.municipality == municipality,
            CapsuleRow.state == CapsuleState.PUBLISHED.value,
            CapsuleRow.week == week,
        )
    )
    room = per_week - int(count or 0)
    if room <= 0:
        return []
    waiting = await session.scalars(
        select(CapsuleRow.id)
        .where(
            CapsuleRow.municipality == municipality,
            CapsuleRow.state == CapsuleState.WAITING.value,
        )
        .order_by(CapsuleRow.approved_at, CapsuleRow.id)
        .limit(room)
    )
    published = []
    for capsule_id in list(waiting):
        done = await session.execute(
            update(CapsuleRow)
            .where(CapsuleRow.id == capsule_id, CapsuleRow.state == CapsuleState.WAITING.value)
            .values(state=CapsuleState.PUBLISHED.value, week=week, published_at=now, updated_at=now)
        )
        if getattr(done, "rowcount", 0) == 1:
            event = CapsulePublished(capsule_id=capsule_id, municipality=municipality)
            session.add(OutboxRow.pending(event, CONSUMER, now))
            published.append(capsule_id)
    return published


def _part_row(capsule: Capsule, position: int, findings: Sequence[str]) -> CapsulePartRow:
    row = CapsulePartRow(language=capsule.language, position=position)
    _fill_part(row, capsule, findings)
    return row


def _fill_part(row: CapsulePartRow, capsule: Capsule, findings: Sequence[str]) -> None:
    row.commune = capsule.commune
    row.link = capsule.link
    row.title = capsule.title
    row.tip = capsule.tip
    row.short = capsule.short
    row.long = capsule.long
    row.hashtags = capsule.hashtags
    row.findings = list(findings)


def _record(row: CapsuleRow, kind: str, tlp: str) -> CapsuleRecord:
    capsules = tuple(
        Capsule(
            alert_ref=format_ref(row.alert_id),
            kind=PhenomenonType(kind),
            tlp=Tlp(tlp),
            language=p.language,
            commune=p.commune,
            link=p.link,
            title=p.title,
            tip=p.tip,
            short=p.short,
            long=p.long,
            hashtags=p.hashtags,
        )
        for p in row.parts
    )
    return CapsuleRecord(
        id=row.id,
        alert_id=row.alert_id,
        municipality=row.municipality,
        organisation=row.organisation,
        author=row.author,
        state=CapsuleState(row.state),
        capsules=capsules,
        findings={p.language: tuple(p.findings) for p in row.parts},
        approver=row.approver,
        week=row.week,
        approved_at=row.approved_at,
        published_at=row.published_at,
    )
