"""Use case: significant clusters become draft alerts for the moderators."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from phenomena.alert import Alert, AlertContent
from phenomena.detection.report import ClusterReport
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp

DETECTION_AUTHOR = "prevnet-detection"
DETECTION_ORGANISATION = "prevnet"


@dataclass(frozen=True)
class DetectionRecord:
    """The cluster behind a proposed alert, kept to draw it and to avoid proposing it twice."""

    alert_id: int
    kind: str
    centre: tuple[float, float]
    radius_metres: float
    first_day: date
    last_day: date
    observed: int
    expected: float
    p_value: float
    incident_ids: tuple[int, ...]

    def overlaps(self, report: ClusterReport) -> bool:
        """Same phenomenon, circles that touch, periods that meet: the same wave."""
        c = report.cluster
        near = math.dist(self.centre, c.centre) <= self.radius_metres + c.radius_metres + 250
        meets = c.first_day <= self.last_day + timedelta(days=7)
        return self.kind == report.kind.value and near and meets


def proposal_summary(report: ClusterReport, territories: TerritoryRegistry) -> str:
    """What the moderators read first, in numbers."""
    c = report.cluster
    place = ", ".join(territories.municipalities[n].name for n in report.municipalities[:3])
    return (
        f"Possible wave detected: {c.observed} incidents of {report.kind.names['en'].lower()} "
        f"within {c.radius_metres:.0f} m around {place} from {c.first_day:%d/%m} to "
        f"{c.last_day:%d/%m} ({c.expected:.1f} expected; by chance once in "
        f"{c.recurrence_days:,.0f} days). Check the incidents and edit before approving."
    )


async def propose_clusters(
    uow: UnitOfWork,
    reports: list[ClusterReport],
    territories: TerritoryRegistry,
    now: datetime,
    tlp: Tlp = Tlp.AMBER,
) -> list[Alert]:
    """Turn each new significant cluster into an alert waiting for a moderator."""
    proposed: list[Alert] = []
    async with uow:
        for report in reports:
            c = report.cluster
            if not c.is_alarm or not report.municipalities:
                continue
            earlier = await uow.detections.recent(
                report.kind.value, c.first_day - timedelta(days=30)
            )
            if any(record.overlaps(report) for record in earlier):
                continue
            content = AlertContent(
                type=report.kind,
                municipalities=report.municipalities[:20],
                period_start=c.first_day,
                period_end=c.last_day,
                tlp=tlp,
                summary=proposal_summary(report, territories),
            )
            alert = await uow.alerts.create(content, DETECTION_AUTHOR, DETECTION_ORGANISATION, now)
            alert.submit_for_moderation(now)
            await uow.alerts.save(alert)
            await uow.detections.add(
                DetectionRecord(
                    alert_id=alert.id,
                    kind=report.kind.value,
                    centre=c.centre,
                    radius_metres=c.radius_metres,
                    first_day=c.first_day,
                    last_day=c.last_day,
                    observed=c.observed,
                    expected=c.expected,
                    p_value=c.p_value,
                    incident_ids=report.incident_ids,
                )
            )
            proposed.append(alert)
        await uow.commit()
    return proposed
