"""Running detection on the stored incidents: one analysis stream per phenomenon type."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

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


async def detect(
    store: SqlIncidentStore,
    as_of: date,
    kinds: list[PhenomenonType] | None = None,
    settings: ScanSettings | None = None,
    seed: int = 1,
) -> tuple[list[ClusterReport], dict[PhenomenonType, str]]:
    """Clusters per type (alarms and not), and why any type was not analysed."""
    settings = settings or ScanSettings()
    reports: list[ClusterReport] = []
    skipped: dict[PhenomenonType, str] = {}
    for kind in kinds or list(PhenomenonType):
        data = await store.arrays(kind, as_of, settings.study_days)
        if len(data.ids) < MINIMUM_INCIDENTS:
            if kinds:
                skipped[kind] = f"{len(data.ids)} incidents in {settings.study_days} days"
            continue
        for found in modus_clusters(data.modus, data.days, as_of):
            reports.append(modus_report(kind, found, data.x, data.y, data.ids, data.municipality))
        problem = prepare(data.x, data.y, data.days, as_of, settings)
        for cluster in scan_clusters(problem, seed=seed):
            reports.append(
                ClusterReport(
                    kind,
                    cluster,
                    municipalities_of(cluster, data.municipality),
                    tuple(int(data.ids[i]) for i in cluster.incidents),
                )
            )
    return reports, skipped


async def run_daily_detection(
    store: SqlIncidentStore,
    uow: UnitOfWork,
    territories: TerritoryRegistry,
    now: datetime,
    settings: ScanSettings | None = None,
) -> list[Alert]:
    """The scheduled analysis: every type with data, new alarms proposed to the moderators."""
    reports, _ = await detect(store, now.date(), None, settings)
    return await propose_clusters(uow, reports, territories, now)


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
