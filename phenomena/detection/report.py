"""Clusters with what people need to read them: the phenomenon, municipalities, stored incidents.

How they are worded is ``phenomena.detection.rendering``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from phenomena.detection.modus import ModusCluster
from phenomena.detection.scan import Cluster
from phenomena.taxonomy import PhenomenonType


@dataclass(frozen=True)
class ClusterReport:
    """A cluster, the phenomenon it is about, and the municipalities of its incidents."""

    kind: PhenomenonType
    cluster: Cluster
    municipalities: tuple[str, ...]  # NIS codes, most incidents first
    incident_ids: tuple[int, ...] = ()  # stored incidents inside the cluster
    term: str | None = None  # for a new modus operandi: the term the reports share


def municipalities_of(cluster: Cluster, municipality: Sequence[str | None]) -> tuple[str, ...]:
    """The municipalities of a cluster's incidents, most incidents first."""
    counts = Counter(municipality[i] for i in cluster.incidents if municipality[i])
    return tuple(nis for nis, _ in counts.most_common() if nis is not None)


def modus_report(
    kind: PhenomenonType,
    found: ModusCluster,
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    ids: npt.NDArray[np.int64],
    municipality: Sequence[str | None],
) -> ClusterReport:
    """A new-modus cluster as a report: its reports' centre and spread stand for the place."""
    members = list(found.incidents)
    cx, cy = float(np.mean(x[members])), float(np.mean(y[members]))
    radius = float(np.max(np.hypot(x[members] - cx, y[members] - cy)))
    cluster = Cluster(
        centre=(cx, cy),
        radius_metres=radius,
        cells=(),
        first_day=found.first_day,
        last_day=found.last_day,
        observed=found.observed,
        expected=found.expected,
        log_likelihood_ratio=found.log_likelihood_ratio,
        p_value=found.p_value,
        recurrence_days=found.recurrence_days,
        is_alarm=True,
        incidents=found.incidents,
    )
    return ClusterReport(
        kind,
        cluster,
        municipalities_of(cluster, municipality),
        tuple(int(ids[i]) for i in members),
        term=found.term,
    )
