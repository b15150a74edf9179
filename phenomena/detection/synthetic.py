"""Synthetic data for proving detection: null backgrounds and planted waves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Incidents:
    """Incidents as arrays: projected metres and day numbers (``date.toordinal``)."""

    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    days: npt.NDArray[np.int64]


def null_background(incidents: Incidents, seed: int) -> Incidents:
    """The same places and days, with the days permuted: no space-time interaction left."""
    rng = np.random.default_rng(seed)
    return Incidents(incidents.x, incidents.y, rng.permutation(incidents.days))


def plant_wave(
    incidents: Incidents,
    centre: tuple[float, float],
    count: int,
    radius_metres: float,
    last_day: date,
    span_days: int,
    seed: int,
) -> Incidents:
    """Add ``count`` incidents within ``radius_metres`` of ``centre`` over ``span_days`` days."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi, count)
    radius = radius_metres * np.sqrt(rng.uniform(0, 1, count))
    days = last_day.toordinal() - rng.integers(0, span_days, count)
    return Incidents(
        np.concatenate((incidents.x, centre[0] + radius * np.cos(angle))),
        np.concatenate((incidents.y, centre[1] + radius * np.sin(angle))),
        np.concatenate((incidents.days, days.astype(np.int64))),
    )
