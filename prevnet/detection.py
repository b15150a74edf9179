"""Running detection on the stored incidents: one analysis stream per phenomenon type."""

from __future__ import annotations

from datetime import date

from phenomena.detection.report import ClusterReport, municipalities_of
from phenomena.detection.scan import ScanSettings, prepare, scan_clusters
from phenomena.storage.incidents import SqlIncidentStore
from phenomena.taxonomy import PhenomenonType

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
        problem = prepare(data.x, data.y, data.days, as_of, settings)
        for cluster in scan_clusters(problem, seed=seed):
            reports.append(
                ClusterReport(kind, cluster, municipalities_of(cluster, data.municipality))
            )
    return reports, skipped
