"""Running detection on the stored incidents: one analysis stream per phenomenon type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from bots.maps import Outlines, cluster_map, timeline_chart
from phenomena.alert import Alert
from phenomena.detection.modus import modus_clusters
from phenomena.detection.projection import to_wgs84
from phenomena.detection.report import ClusterReport, modus_report, municipalities_of
from phenomena.detection.scan import ScanSettings, prepare, scan_clusters
from phenomena.services.detection import DETECTION_AUTHOR, propose_clusters
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.storage.incidents import SqlIncidentStore
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry

MINIMUM_INCIDENTS = 30
"""Below this, a stream has too little history for its expectations to mean anything."""

MODUS_WINDOW_DAYS = 14
HISTORY_WINDOWS = 4
"""The history should cover at least this many times the longest window: expectations come
from the history, and a short one makes every recent day look unusual (or none)."""


@dataclass
class DetectionRun:
    """One analysis day: the clusters found, the types not analysed and why, and warnings."""

    day: date
    settings: ScanSettings
    reports: list[ClusterReport] = field(default_factory=list)
    skipped: dict[PhenomenonType, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def history_warning(
    kind: PhenomenonType, days: npt.NDArray[np.int64], as_of: date, settings: ScanSettings
) -> str | None:
    """A warning when a type's history is shorter than four times the longest window."""
    longest = max(settings.max_window_days, MODUS_WINDOW_DAYS)
    covered = as_of.toordinal() - int(days.min()) + 1
    if covered >= HISTORY_WINDOWS * longest:
        return None
    return (
        f"{kind.value}: the history covers {covered} days (from {date.fromordinal(int(days.min()))}"
        f"), less than {HISTORY_WINDOWS} times the longest window ({longest} days): expected "
        f"counts rest on too little history; import at least {HISTORY_WINDOWS * longest} days "
        "before the analysis day"
    )


async def detect(
    store: SqlIncidentStore,
    as_of: date,
    kinds: list[PhenomenonType] | None = None,
    settings: ScanSettings | None = None,
    seed: int = 1,
) -> DetectionRun:
    """Clusters per type (alarms and not), why any type was not analysed, and warnings."""
    settings = settings or ScanSettings()
    run = DetectionRun(as_of, settings)
    for kind in kinds or list(PhenomenonType):
        data = await store.arrays(kind, as_of, settings.study_days)
        if len(data.ids) < MINIMUM_INCIDENTS:
            if kinds:
                run.skipped[kind] = f"{len(data.ids)} incidents in {settings.study_days} days"
            continue
        warning = history_warning(kind, data.days, as_of, settings)
        if warning:
            run.warnings.append(warning)
        for found in modus_clusters(data.modus, data.days, as_of, MODUS_WINDOW_DAYS):
            run.reports.append(
                modus_report(kind, found, data.x, data.y, data.ids, data.municipality)
            )
        problem = prepare(data.x, data.y, data.days, as_of, settings)
        for cluster in scan_clusters(problem, seed=seed):
            run.reports.append(
                ClusterReport(
                    kind,
                    cluster,
                    municipalities_of(cluster, data.municipality),
                    tuple(int(data.ids[i]) for i in cluster.incidents),
                )
            )
    return run


async def run_daily_detection(
    store: SqlIncidentStore,
    uow: UnitOfWork,
    territories: TerritoryRegistry,
    now: datetime,
    settings: ScanSettings | None = None,
) -> list[Alert]:
    """The scheduled analysis: every type with data, new alarms proposed to the moderators."""
    run = await detect(store, now.date(), None, settings)
    return await propose_clusters(uow, run.reports, territories, now)


async def detection_attachments(
    alert: Alert,
    uow: UnitOfWork,
    store: SqlIncidentStore,
    outlines: Outlines | None,
) -> list[tuple[str, bytes]]:
    """The map and timeline of a proposed alert's cluster (nothing for other alerts)."""
    if alert.author != DETECTION_AUTHOR:
        return []
    async with uow:
        record = await uow.detections.get(alert.id)
    if record is None:
        return []
    kind = PhenomenonType(record.kind)
    history = 60
    data = await store.arrays(kind, record.last_day, history)
    inside = np.hypot(data.x - record.centre[0], data.y - record.centre[1]) <= record.radius_metres
    first = record.last_day - timedelta(days=history - 1)
    days = [first + timedelta(days=i) for i in range(history)]
    counts = np.bincount(data.days[inside] - first.toordinal(), minlength=history).tolist()
    timeline = timeline_chart(
        days,
        counts,
        record.first_day,
        record.last_day,
        f"{kind.names['en']}: incidents a day within {record.radius_metres:.0f} m",
    )
    members = np.isin(data.ids, np.array(record.incident_ids, dtype=np.int64))
    points = [
        to_wgs84(float(x), float(y)) for x, y in zip(data.x[members], data.y[members], strict=True)
    ]
    centre = to_wgs84(*record.centre)
    picture = cluster_map(
        outlines,
        alert.content.municipalities,
        points,
        centre,
        record.radius_metres,
        f"{record.observed} incidents, {record.expected:.1f} expected",
    )
    return [
        (f"cluster-{alert.id}-timeline.png", timeline),
        (f"cluster-{alert.id}-map.png", picture),
    ]
