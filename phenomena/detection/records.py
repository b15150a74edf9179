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
        """Same phenomenon (and term), circles that touch, periods that meet: the same wave."""
        c = report.cluster
        near = math.dist(self.centre, c.centre) <= self.radius_metres + c.radius_metres + 250
        meets = c.first_day <= self.last_day + timedelta(days=7)
        same = self.kind == report.kind.value and self.term == report.term
        return same and (near or self.term is not None) and meets
