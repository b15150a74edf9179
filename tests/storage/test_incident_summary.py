"""What an analyst sees after an import: counts by type with their period, top municipalities."""

from __future__ import annotations

from datetime import date, timedelta

from phenomena.incidents import Incident
from phenomena.storage.database import Database
from phenomena.storage.incidents import SqlIncidentStore, TypeCount
from phenomena.taxonomy import PhenomenonType

BURGLARY = PhenomenonType.RESIDENTIAL_BURGLARY


def incident(day: date, kind: PhenomenonType, municipality: str | None, n: int) -> Incident:
    return Incident(day, float(n), 0.0, kind, municipality, f"case {n}", f"PV-{n}")


async def test_counts_by_type_and_the_municipalities_with_the_most(db: Database) -> None:
    start = date(2026, 1, 1)
    incidents = []
    n = 0
    for rank in range(12):  # municipality 12 has 12 burglaries, 11 has 11, ... 1 has 1
        for _ in range(rank + 1):
            n += 1
            incidents.append(incident(start + timedelta(days=n), BURGLARY, f"{53000 + rank}", n))
    incidents.append(incident(date(2025, 12, 1), PhenomenonType.VANDALISM, None, 1000))
    incidents.append(incident(date(2025, 12, 3), PhenomenonType.VANDALISM, "53000", 1001))
    store = SqlIncidentStore(db)
    await store.add([(i, i.external_id or "") for i in incidents], "test")

    everything = await store.summary(None)
    assert everything.types == [
        TypeCount("residential-burglary", 78, date(2026, 1, 2), date(2026, 3, 20)),
        TypeCount("vandalism", 2, date(2025, 12, 1), date(2025, 12, 3)),
    ]
    assert everything.municipalities == [(f"{53000 + r}", r + 1) for r in range(11, 1, -1)]
    assert everything.without_municipality == 1

    vandalism = await store.summary(PhenomenonType.VANDALISM)
    assert vandalism.types == [TypeCount("vandalism", 2, date(2025, 12, 1), date(2025, 12, 3))]
    assert vandalism.municipalities == [("53000", 1)]
    assert vandalism.without_municipality == 1

    nothing = await store.summary(PhenomenonType.ARSON)
    assert (nothing.types, nothing.municipalities, nothing.without_municipality) == ([], [], 0)
