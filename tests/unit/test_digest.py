"""The weekly digest: which alerts, and the counts by type and week."""

from __future__ import annotations

from datetime import UTC, date, datetime

from phenomena.alert import Alert, AlertContent, AlertStatus
from phenomena.digest import room_digest, week_start
from phenomena.taxonomy import PhenomenonType
from phenomena.tlp import Tlp


def alert(
    n: int, kind: PhenomenonType, created: date, status: AlertStatus, rooms: tuple[str, ...]
) -> Alert:
    content = AlertContent(kind, ("53053",), created, None, Tlp.AMBER, "s")
    return Alert(
        n,
        content,
        "@a:x",
        "zp",
        status,
        created_at=datetime(created.year, created.month, created.day, 9, tzinfo=UTC),
        rooms=rooms,
    )


def test_a_rooms_digest() -> None:
    today = date(2026, 11, 23)  # a Monday
    alerts = [
        alert(
            1, PhenomenonType.PHONE_SCAM, date(2026, 11, 20), AlertStatus.PUBLISHED, ("zone:5324",)
        ),
        alert(2, PhenomenonType.PHONE_SCAM, date(2026, 11, 3), AlertStatus.CLOSED, ("zone:5324",)),
        alert(3, PhenomenonType.VANDALISM, date(2026, 11, 4), AlertStatus.UPDATED, ("zone:5324",)),
        alert(
            4, PhenomenonType.VANDALISM, date(2026, 11, 21), AlertStatus.PUBLISHED, ("zone:5449",)
        ),
        alert(
            5,
            PhenomenonType.ARSON,
            date(2026, 11, 22),
            AlertStatus.PENDING_MODERATION,
            ("zone:5324",),
        ),
    ]
    digest = room_digest("zone:5324", alerts, today)
    assert [a.id for a in digest.open] == [1, 3]
    assert [a.id for a in digest.new] == [1]
    assert digest.weeks[-1] == date(2026, 11, 23) and len(digest.weeks) == 8
    weekly = dict(zip(digest.weeks, digest.counts[PhenomenonType.PHONE_SCAM], strict=True))
    assert weekly[date(2026, 11, 16)] == 1 and weekly[date(2026, 11, 2)] == 1
    assert sum(digest.counts[PhenomenonType.VANDALISM]) == 1
    assert PhenomenonType.ARSON not in digest.counts  # never published
    assert room_digest("zone:9999", alerts, today).is_empty
    assert week_start(date(2026, 11, 22)) == date(2026, 11, 16)
