"""What is kept of a detected cluster once it became a proposed alert.

Both the detection use case and the storage ports need it, so it lives here in the pure
detection package rather than in either of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from phenomena.detection.report import ClusterReport


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
    term: str | None = None

    def overlaps(self, report: ClusterReport) -> bool:
        """The same wave as ``report``: periods that meet, and mostly the same incidents, or the
        same phenomenon and term with circles that touch (or a term, wherever it is)."""
        c = report.cluster
        if self.kind != report.kind.value or c.first_day > self.last_day + timedelta(days=7):
            return False
        shared = len(set(self.incident_ids) & set(report.incident_ids))
        smaller = min(len(self.incident_ids), len(report.incident_ids))
        if smaller and 2 * shared >= smaller:
            return True
        near = math.dist(self.centre, c.centre) <= self.radius_metres + c.radius_metres + 250
        return self.term == report.term and (near or self.term is not None)
