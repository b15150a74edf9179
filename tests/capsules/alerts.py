"""Alerts and capsules to draft from, shared by the capsule tests."""

from __future__ import annotations

from datetime import date

from phenomena.alert import Alert, AlertContent, AlertStatus
from phenomena.capsules.capsule import Capsule
from phenomena.capsules.drafting import draft_capsules
from phenomena.detection.records import DetectionRecord
from phenomena.taxonomy import PhenomenonType
from phenomena.tlp import Tlp

LINK = "https://www.mons.be/vivre-a-mons/prevention"
LONG_ADVICE = (
    "Fermez toujours portes et fenêtres à clé, même pour une absence de quelques minutes, "
    "et demandez à un voisin de relever le courrier pendant vos vacances. " * 12
)


def alert(
    kind: PhenomenonType = PhenomenonType.RESIDENTIAL_BURGLARY,
    tlp: Tlp = Tlp.GREEN,
    advice: str | None = "Fermez portes et fenêtres à clé, même pour une courte absence.",
    status: AlertStatus = AlertStatus.PUBLISHED,
    alert_id: int = 12,
) -> Alert:
    content = AlertContent(
        type=kind,
        municipalities=("53053",),
        period_start=date(2026, 11, 2),
        period_end=None,
        tlp=tlp,
        summary="Plusieurs cambriolages en soirée.",
        modus="Fenêtres arrière forcées.",
        advice=advice,
    )
    return Alert(alert_id, content, "@claire:prevnet.localhost", "pcs-mons", status=status)


def capsule(
    language: str = "fr",
    kind: PhenomenonType = PhenomenonType.RESIDENTIAL_BURGLARY,
    advice: str | None = "Fermez portes et fenêtres à clé, même pour une courte absence.",
    commune: str = "Mons",
) -> Capsule:
    """One language's capsule of a GREEN alert."""
    drafted = draft_capsules(
        alert(kind, advice=advice), commune=commune, prevention_url=LINK, languages=[language]
    )
    return drafted[0]


def detected(alert_id: int = 12) -> DetectionRecord:
    """The cluster detection proposed alert ``alert_id`` from: eight burglaries in a week."""
    return DetectionRecord(
        alert_id=alert_id,
        kind=PhenomenonType.RESIDENTIAL_BURGLARY.value,
        centre=(119_000.0, 126_500.0),
        radius_metres=250.0,
        first_day=date(2026, 10, 26),
        last_day=date(2026, 11, 1),
        observed=8,
        expected=1.5,
        p_value=0.004,
        incident_ids=tuple(range(1, 9)),
    )
