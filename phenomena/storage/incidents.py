"""Incident storage: idempotent bulk adds, and arrays for the scan."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, insert, select, update

from phenomena.incidents import Incident
from phenomena.partners import Organisation
from phenomena.storage.database import Database
from phenomena.storage.repositories import SqlOrganisationRepository
from phenomena.storage.schema import ApiTokenRow, IncidentRow
from phenomena.storage.unit_of_work import utc_now
from phenomena.taxonomy import PhenomenonType

CHUNK = 1000


@dataclass(frozen=True)
class IncidentArrays:
    """Incidents as the scan wants them."""

    ids: npt.NDArray[np.int64]
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    days: npt.NDArray[np.int64]
    municipality: list[str | None]
    modus: list[str | None]


@dataclass(frozen=True)
class TypeCount:
    """How many incidents of one type are stored, from which day to which."""

    type: str
    count: int
    first: date
    last: date


@dataclass(frozen=True)
class IncidentSummary:
    """What is stored: per type, the municipalities with the most, and those without one."""

    types: list[TypeCount]
    municipalities: list[tuple[str, int]]
    without_municipality: int


class SqlIncidentStore:
    """Incidents in the database."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = db
        self._clock = clock

    async def add(
        self,
        incidents: Sequence[tuple[Incident, str]],
        source: str,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[int, int]:
        """Store incidents not seen before (by fingerprint): (added, already known)."""
        added = known = 0
        now = self._clock()
        for start in range(0, len(incidents), CHUNK):
            chunk = incidents[start : start + CHUNK]
            async with self._db.sessions() as session, session.begin():
                prints = [fp for _, fp in chunk]
                existing = set(
                    await session.scalars(
                        select(IncidentRow.fingerprint).where(IncidentRow.fingerprint.in_(prints))
                    )
                )
                seen: set[str] = set()
                rows: list[dict[str, object]] = []
                for incident, fingerprint in chunk:
                    if fingerprint in existing or fingerprint in seen:
                        known += 1
                        continue
                    seen.add(fingerprint)
                    rows.append(
                        {
                            "fingerprint": fingerprint,
                            "source": source[:200],
                            "occurred_on": incident.occurred_on,
                            "x": incident.x,
                            "y": incident.y,
                            "type": incident.type.value,
                            "municipality": incident.municipality,
                            "modus": incident.modus,
                            "external_id": incident.external_id,
                            "imported_at": now,
                        }
                    )
                if rows:  # one executemany, not an ORM object per row (50,000-line files)
                    await session.execute(insert(IncidentRow), rows)
                added += len(rows)
            if progress:
                progress(min(start + CHUNK, len(incidents)))
        return added, known

    async def count(self) -> int:
        """How many incidents are stored."""
        async with self._db.sessions() as session:
            return int(await session.scalar(select(func.count(IncidentRow.id))) or 0)

    async def summary(self, kind: PhenomenonType | None, top: int = 10) -> IncidentSummary:
        """Counts by type (most first) with first and last day, and the ``top`` municipalities."""
        where = [] if kind is None else [IncidentRow.type == kind.value]
        count = func.count(IncidentRow.id)
        by_type = (
            select(
                IncidentRow.type,
                count,
                func.min(IncidentRow.occurred_on),
                func.max(IncidentRow.occurred_on),
            )
            .where(*where)
            .group_by(IncidentRow.type)
            .order_by(count.desc(), IncidentRow.type)
        )
        by_place = (
            select(IncidentRow.municipality, count)
            .where(*where, IncidentRow.municipality.is_not(None))
            .group_by(IncidentRow.municipality)
            .order_by(count.desc(), IncidentRow.municipality)
            .limit(top)
        )
        nowhere = select(count).where(*where, IncidentRow.municipality.is_(None))
        async with self._db.sessions() as session:
            types = [
                TypeCount(t, int(n), first, last)
                for t, n, first, last in (await session.execute(by_type)).all()
            ]
            places = [(str(m), int(n)) for m, n in (await session.execute(by_place)).all()]
            without = int(await session.scalar(nowhere) or 0)
        return IncidentSummary(types, places, without)

    async def arrays(self, kind: PhenomenonType | None, until: date, days: int) -> IncidentArrays:
        """Incidents of a type (or all) from ``days`` days before ``until`` to ``until``."""
        first = date.fromordinal(until.toordinal() - days + 1)
        query = select(
            IncidentRow.id,
            IncidentRow.x,
            IncidentRow.y,
            IncidentRow.occurred_on,
            IncidentRow.municipality,
            IncidentRow.modus,
        ).where(IncidentRow.occurred_on >= first, IncidentRow.occurred_on <= until)
        if kind is not None:
            query = query.where(IncidentRow.type == kind.value)
        async with self._db.sessions() as session:
            rows = (await session.execute(query.order_by(IncidentRow.id))).all()
        return IncidentArrays(
            ids=np.array([r[0] for r in rows], dtype=np.int64),
            x=np.array([r[1] for r in rows], dtype=np.float64),
            y=np.array([r[2] for r in rows], dtype=np.float64),
            days=np.array([r[3].toordinal() for r in rows], dtype=np.int64),
            municipality=[r[4] for r in rows],
            modus=[r[5] for r in rows],
        )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SqlApiTokens:
    """Per-organisation tokens of the incident API; the tokens themselves are never stored."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = db
        self._clock = clock

    async def issue(self, organisation: str) -> str:
        """A new token for an organisation, to be shown once."""
        token = "pvn_" + secrets.token_urlsafe(32)
        async with self._db.sessions() as session, session.begin():
            session.add(
                ApiTokenRow(
                    organisation=organisation, token_sha256=_digest(token), created_at=self._clock()
                )
            )
        return token

    async def organisation_of(self, token: str) -> str | None:
        """The organisation a valid token belongs to, or None."""
        async with self._db.sessions() as session:
            rows = await session.scalars(
                select(ApiTokenRow).where(ApiTokenRow.revoked_at.is_(None))
            )
            wanted = _digest(token)
            found = None
            for row in rows:  # constant-time comparison, whatever matches
                if hmac.compare_digest(row.token_sha256, wanted):
                    found = row.organisation
            return found

    async def registered(self, key: str) -> Organisation | None:
        """The organisation a token speaks for, with its kind and territories (None: gone)."""
        async with self._db.sessions() as session:
            return await SqlOrganisationRepository(session, lambda _: None, self._clock).get(key)

    async def revoke(self, organisation: str) -> int:
        """Revoke every token of an organisation."""
        async with self._db.sessions() as session, session.begin():
            result = await session.execute(
                update(ApiTokenRow)
                .where(ApiTokenRow.organisation == organisation, ApiTokenRow.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
            return int(getattr(result, "rowcount", 0) or 0)
