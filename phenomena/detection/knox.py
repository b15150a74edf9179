"""The Knox test of space-time interaction (near repeats): are incidents close in space also
close in time more often than chance?

Pairs within ``distance`` metres are found once (k-d tree); the count of those pairs also within
``window`` days is compared with the same count after permuting the dates, which keeps where and
when incidents happen but breaks any link between the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class KnoxResult:
    """Observed close pairs against the permutation expectation."""

    distance_metres: float
    window_days: int
    observed: int
    expected: float
    permutations: int
    p_value: float

    @property
    def ratio(self) -> float:
        """Observed over expected: above 1 means near repeats."""
        return self.observed / self.expected if self.expected else float("inf")


def knox(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    days: npt.NDArray[np.int64],
    distance_metres: float = 400.0,
    window_days: int = 14,
    permutations: int = 999,
    seed: int = 1,
) -> KnoxResult:
    """Knox test at one space-time scale, with a Monte Carlo p-value."""
    pairs = cKDTree(np.column_stack((x, y))).query_pairs(distance_metres, output_type="ndarray")
    first, second = pairs[:, 0], pairs[:, 1]

    def close_in_time(d: npt.NDArray[np.int64]) -> int:
        return int(np.count_nonzero(np.abs(d[first] - d[second]) <= window_days))

    observed = close_in_time(days)
    rng = np.random.default_rng(seed)
    null = np.array([close_in_time(rng.permutation(days)) for _ in range(permutations)])
    return KnoxResult(
        distance_metres=distance_metres,
        window_days=window_days,
        observed=observed,
        expected=float(null.mean()),
        permutations=permutations,
        p_value=(int(np.count_nonzero(null >= observed)) + 1) / (permutations + 1),
    )
