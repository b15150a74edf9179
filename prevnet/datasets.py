"""Reading simple incident files (``X,Y,date``) into arrays, for tests, benchmarks and studies."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np

from phenomena.detection.synthetic import Incidents


def read_xy_dates(path: Path) -> Incidents:
    """A CSV with columns ``X``, ``Y`` (metres) and ``date``; rows without a date are left out."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["date"]]
    return Incidents(
        np.array([float(r["X"]) for r in rows]),
        np.array([float(r["Y"]) for r in rows]),
        np.array([date.fromisoformat(r["date"]).toordinal() for r in rows], dtype=np.int64),
    )
