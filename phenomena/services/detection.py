"""Use case: significant clusters become draft alerts for the moderators."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from phenomena.alert import Alert, AlertContent
from phenomena.detection.records import DetectionRecord
from phenomena.detection.report import ClusterReport
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp

DETECTION_AUTHOR = "prevnet-detection"
DETECTION_ORGANISATION = "prevnet"


def _how_rare(days: float) -> str:
    if days >= 36_500:
        return "less than once a century"
    if days >= 730:
        return f"once in {days / 365:.0f} years"
    return f"once in {days:,.0f} days"


def proposal_summary(report: ClusterReport, territories: TerritoryRegistry) -> str:
    """What the moderators read first, in numbers."""
    c = report.cluster
    place = ", ".join(territories.municipalities[n].name for n in report.municipalities[:3])
    if report.term:
        return (
            f"New modus operandi? {c.observed} reports of {report.kind.names['en'].lower()} "
            f"around {place} since {c.first_day:%d/%m} mention '{report.term}' "
            f"({c.expected:.1f} expected from their history). Check the reports and edit "
            "before approving."
        )
    return (
        f"Possible wave detected: {c.observed} incidents of {report.kind.names['en'].lower()} "
        f"within {c.radius_metres:.0f} m around {place} from {c.first_day:%d/%m} to "
        f"{c.last_day:%d/%m} ({c.expected:.1f} expected; by chance {_how_rare(c.recurrence_days)})."
        " Check the incidents and edit before approving."
    )


def report_modus(report: ClusterReport) -> str | None:
    """What a spatial wave's reports say, when a modus cluster was folded into it."""
    return f"Reports mention: {report.mentions}" if report.mentions else None


def _fold_modus_into_waves(reports: list[ClusterReport]) -> list[ClusterReport]:
    waves = [r for r in reports if r.term is None]
    kept: list[ClusterReport] = []
    for report in reports:
        if report.term is None:
            continue
        mine = set(report.incident_ids)
        host = next((w for w in waves if 2 * len(mine & set(w.incident_ids)) >= len(mine)), None)
        if host is None:
            kept.append(report)
        else:
            index = waves.index(host)
            waves[index] = replace(host, mentions=report.term)
    return waves + kept


async def propose_clusters(
    uow: UnitOfWork,
    reports: list[ClusterReport],
    territories: TerritoryRegistry,
    now: datetime,
    tlp: Tlp = Tlp.AMBER,
) -> list[Alert]:
    """Turn each new significant cluster into an alert waiting for a moderator.

    A new-modus cluster whose reports are mostly those of a spatial cluster of the same run is
    the same wave seen twice: its term goes into that proposal instead of a second one.
    """
    proposed: list[Alert] = []
    reports = _fold_modus_into_waves([r for r in reports if r.cluster.is_alarm])
    async with uow:
        for report in reports:
            c = report.cluster
            if not report.municipalities:
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
                modus=f"Reports mention: {report.term}" if report.term else report_modus(report),
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
                    term=report.term,
                )
            )
            proposed.append(alert)
        await uow.commit()
    return proposed
