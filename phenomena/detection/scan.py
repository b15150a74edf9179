"""The prospective space-time permutation scan statistic (Kulldorff et al. 2005, PLoS Med 2:e59).

Cylinders are circles of the K nearest grid cells around each cell with incidents, crossed with
time windows of 1 to W days that end on the analysis day (prospective: only clusters that are
still alive). The expected count of a cylinder comes from the space and time margins,
``mu = N(circle) * N(window) / C``, and its log likelihood ratio is
``c ln(c/mu) + (C-c) ln((C-c)/(C-mu))`` when ``c > mu``. The statistic is the largest ratio;
Monte Carlo replicates permute the dates among the incidents, which keeps both margins, so the
expected counts are computed once. Small p-values come from a Gumbel fit to the replicates.

Two engines compute the same statistic:

- ``numba`` (the default): replicates in parallel; for a given centre and window only the circle
  sizes where the count goes up are evaluated (among equal counts the smallest expectation
  gives the largest ratio), and only those whose upper bound beats the best ratio so far, so
  most of the cylinders never need a logarithm;
- ``numpy``: every cylinder as arrays, plain and slow, the baseline of the benchmark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
from numba import njit, prange
from scipy.spatial import cKDTree

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
EULER_GAMMA = 0.5772156649015329


@dataclass(frozen=True)
class ScanSettings:
    """The shape of the scan: grid, circle sizes, windows, history, replicates."""

    cell_metres: float = 200.0
    neighbours: int = 40
    max_window_days: int = 30
    study_days: int = 365
    replicates: int = 999
    alarm_recurrence_days: float = 365.0  # one false alarm a year per daily analysis stream


@dataclass(frozen=True)
class Problem:
    """A scan prepared for one analysis day: cells, neighbours, margins, recent incidents."""

    analysis_day: date
    settings: ScanSettings
    centres: FloatArray  # (S, 2) cell centres in metres
    neighbour_index: IntArray  # (S, K) nearest cells, the cell itself first
    neighbour_distance: FloatArray  # (S, K) metres
    space_margin: FloatArray  # (S, K) incidents in the first k+1 neighbours, whole study period
    time_margin: FloatArray  # (W,) incidents in the last w+1 days
    total: int  # C
    cell_of: IntArray  # (N,) cell of each incident
    days_back: IntArray  # (N,) days before the analysis day, 0 = that day
    recent_days_back: IntArray  # the days_back values that fall in the last W days (a multiset)
    source_index: IntArray  # (N,) position of each incident in the arrays given to ``prepare``


@dataclass(frozen=True)
class Cluster:
    """The most likely cluster: where, when, how many against how many expected."""

    centre: tuple[float, float]
    radius_metres: float
    cells: tuple[int, ...]
    first_day: date
    last_day: date
    observed: int
    expected: float
    log_likelihood_ratio: float
    p_value: float
    recurrence_days: float
    is_alarm: bool  # recurrence interval at least the settings' alarm threshold
    incidents: tuple[int, ...] = ()  # positions in the arrays given to ``prepare``


def _grid(x: FloatArray, y: FloatArray, cell_metres: float) -> tuple[FloatArray, IntArray]:
    """The centres of the occupied cells and each incident's cell, for coordinates of any sign.

    Cell numbers are counted from the south-west corner of the data, so the key of a cell is
    never negative and decodes back to the same cell (a cluster straddling x = 0 or y = 0 stays
    one cluster).
    """
    cell_x = np.floor(x / cell_metres).astype(np.int64)
    cell_y = np.floor(y / cell_metres).astype(np.int64)
    west, south = int(cell_x.min()), int(cell_y.min())
    rows = int(cell_y.max()) - south + 1
    keys = (cell_x - west) * rows + (cell_y - south)
    unique, cell_of = np.unique(keys, return_inverse=True)
    centres = np.column_stack(
        (
            (unique // rows + west + 0.5) * cell_metres,
            (unique % rows + south + 0.5) * cell_metres,
        )
    ).astype(np.float64)
    return centres, cell_of.astype(np.int64)


def prepare(
    x: FloatArray,
    y: FloatArray,
    days: npt.NDArray[np.int64],
    analysis_day: date,
    settings: ScanSettings | None = None,
) -> Problem:
    """Grid the incidents of the study period ending on ``analysis_day``.

    ``days`` are day numbers (``date.toordinal()``); incidents outside the study period are left
    out, so the same data set can be analysed day after day.
    """
    settings = settings or ScanSettings()
    last = analysis_day.toordinal()
    keep = (days <= last) & (days > last - settings.study_days)
    source_index = np.flatnonzero(keep).astype(np.int64)
    x, y, days = x[keep], y[keep], days[keep]
    if len(x) < 2:
        raise ValueError("fewer than two incidents in the study period: nothing to scan")
    centres, cell_of = _grid(x, y, settings.cell_metres)
    n_cells = len(centres)
    k = min(settings.neighbours, n_cells)
    distance, index = cKDTree(centres).query(centres, k=k)
    distance = np.asarray(distance, dtype=np.float64).reshape(n_cells, k)
    index = np.asarray(index, dtype=np.int64).reshape(n_cells, k)
    per_cell = np.bincount(cell_of, minlength=n_cells).astype(np.float64)
    space_margin = np.cumsum(per_cell[index], axis=1)
    days_back = (last - days).astype(np.int64)
    window = settings.max_window_days
    per_day = np.bincount(days_back[days_back < window], minlength=window).astype(np.float64)
    return Problem(
        analysis_day=analysis_day,
        settings=settings,
        centres=centres,
        neighbour_index=index,
        neighbour_distance=distance,
        space_margin=space_margin,
        time_margin=np.cumsum(per_day),
        total=len(x),
        cell_of=cell_of,
        days_back=days_back,
        recent_days_back=np.sort(days_back[days_back < window]),
        source_index=source_index,
    )


# -- the numba engine ----------------------------------------------------------------------------


@njit(cache=True, fastmath=False)
def _llr(c: float, mu: float, total: float) -> float:
    if c <= mu:
        return 0.0
    rest = total - c
    value = c * math.log(c / mu)
    if rest > 0:
        value += rest * math.log(rest / (total - mu))
    return value


@njit(cache=True)
def _max_llr(
    cell_counts: FloatArray,
    nonzero: npt.NDArray[np.bool_],
    index: IntArray,
    space_margin: FloatArray,
    time_margin: FloatArray,
    total: float,
    blocked: npt.NDArray[np.bool_],
) -> tuple[float, int, int, int]:
    """Best cylinder for one assignment of recent counts: (llr, centre, k, window).

    Circles that would take in a ``blocked`` cell are not considered (secondary clusters).
    """
    best, best_s, best_k, best_w = 0.0, -1, -1, -1
    n_cells, n_k = index.shape
    n_w = time_margin.shape[0]
    acc = np.zeros(n_w)
    for s in range(n_cells):
        acc[:] = 0.0
        for k in range(n_k):
            m = index[s, k]
            if blocked[m]:
                break
            if not nonzero[m]:
                continue
            for w in range(n_w):
                add = cell_counts[m, w]
                if add > 0.0:
                    acc[w] += add
                    c = acc[w]
                    mu = space_margin[s, k] * time_margin[w] / total
                    if c <= mu:
                        continue
                    # The ratio is at most c ln(c/mu) <= (c - mu) sqrt(c/mu) (ln x <= (x-1)/sqrt x,
                    # the second term is never positive): a cylinder whose bound cannot beat the
                    # best so far needs no logarithm. The margin covers rounding, so the maximum
                    # is the same to the last bit as without the bound.
                    if (c - mu) * (c - mu) * c * 1.000000001 <= best * best * mu:
                        continue
                    value = _llr(c, mu, total)
                    if value > best:
                        best, best_s, best_k, best_w = value, s, k, w
    return best, best_s, best_k, best_w


@njit(cache=True)
def _counts(
    cells: IntArray, back: IntArray, n_cells: int, n_w: int
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    counts = np.zeros((n_cells, n_w))
    nonzero = np.zeros(n_cells, dtype=np.bool_)
    for i in range(cells.shape[0]):
        counts[cells[i], back[i]] += 1.0
        nonzero[cells[i]] = True
    for s in range(n_cells):
        if nonzero[s]:
            for w in range(1, n_w):
                counts[s, w] += counts[s, w - 1]
    return counts, nonzero


@njit(cache=True, parallel=True)
def _replicate_maxima(
    draws: IntArray,
    recent_back: IntArray,
    cell_of: IntArray,
    index: IntArray,
    space_margin: FloatArray,
    time_margin: FloatArray,
    total: float,
) -> FloatArray:
    n_rep = draws.shape[0]
    out = np.zeros(n_rep)
    n_cells = index.shape[0]
    n_w = time_margin.shape[0]
    free = np.zeros(n_cells, dtype=np.bool_)
    for r in prange(n_rep):
        cells = cell_of[draws[r]]
        counts, nonzero = _counts(cells, recent_back, n_cells, n_w)
        out[r] = _max_llr(counts, nonzero, index, space_margin, time_margin, total, free)[0]
    return out


# -- the numpy baseline --------------------------------------------------------------------------


def _max_llr_numpy(
    problem: Problem, cells: IntArray, back: IntArray
) -> tuple[float, int, int, int]:
    """Every cylinder as arrays: the plain implementation the benchmark compares against."""
    n_cells = problem.centres.shape[0]
    n_w = problem.time_margin.shape[0]
    per_cell = np.zeros((n_cells, n_w))
    np.add.at(per_cell, (cells, back), 1.0)
    window_counts = np.cumsum(per_cell, axis=1)
    c = np.cumsum(window_counts[problem.neighbour_index], axis=1)  # (S, K, W)
    mu = problem.space_margin[:, :, None] * problem.time_margin[None, None, :] / problem.total
    total = float(problem.total)
    with np.errstate(divide="ignore", invalid="ignore"):
        rest = total - c
        llr = c * np.log(c / mu) + np.where(rest > 0, rest * np.log(rest / (total - mu)), 0.0)
    llr = np.where(c > mu, llr, 0.0)
    flat = int(np.argmax(llr))
    s, k, w = np.unravel_index(flat, llr.shape)
    return float(llr.flat[flat]), int(s), int(k), int(w)


# -- the scan ------------------------------------------------------------------------------------


def _recent(problem: Problem) -> tuple[IntArray, IntArray]:
    mask = problem.days_back < problem.settings.max_window_days
    return problem.cell_of[mask], problem.days_back[mask]


def observed_statistic(
    problem: Problem, engine: str = "numba", blocked: npt.NDArray[np.bool_] | None = None
) -> tuple[float, int, int, int]:
    """The largest log likelihood ratio of the real data, and where: (llr, centre, k, window)."""
    cells, back = _recent(problem)
    if engine == "numpy":
        return _max_llr_numpy(problem, cells, back)
    counts, nonzero = _counts(cells, back, problem.centres.shape[0], problem.time_margin.shape[0])
    if blocked is None:
        blocked = np.zeros(problem.centres.shape[0], dtype=np.bool_)
    return _max_llr(
        counts,
        nonzero,
        problem.neighbour_index,
        problem.space_margin,
        problem.time_margin,
        float(problem.total),
        blocked,
    )


def replicate_maxima(problem: Problem, seed: int, engine: str = "numba") -> FloatArray:
    """The statistic under the null: dates permuted among the incidents, R times."""
    rng = np.random.default_rng(seed)
    n_recent = problem.recent_days_back.shape[0]
    replicates = problem.settings.replicates
    if n_recent == 0:
        return np.zeros(replicates)
    # A permutation of all dates puts a random set of incidents on the recent days; only those
    # incidents matter, so each replicate is that random set (the recent days, in order).
    draws = np.empty((replicates, n_recent), dtype=np.int64)
    for r in range(replicates):
        draws[r] = rng.choice(problem.total, size=n_recent, replace=False)
    if engine == "numpy":
        return np.array(
            [
                _max_llr_numpy(problem, problem.cell_of[d], problem.recent_days_back)[0]
                for d in draws
            ]
        )
    return _replicate_maxima(
        draws,
        problem.recent_days_back,
        problem.cell_of,
        problem.neighbour_index,
        problem.space_margin,
        problem.time_margin,
        float(problem.total),
    )


def p_value(observed: float, maxima: FloatArray) -> float:
    """Monte Carlo p-value, with a Gumbel tail fit when the observation beats every replicate."""
    rank = int(np.sum(maxima >= observed))
    monte_carlo = (rank + 1) / (len(maxima) + 1)
    if rank > 0 or len(maxima) < 20:
        return monte_carlo
    scale = float(np.std(maxima, ddof=1)) * math.sqrt(6) / math.pi
    if scale <= 0:
        return monte_carlo
    location = float(np.mean(maxima)) - EULER_GAMMA * scale
    tail = -math.expm1(-math.exp(-(observed - location) / scale))
    return min(monte_carlo, max(tail, 1e-300))


def _cluster(problem: Problem, llr: float, s: int, k: int, w: int, p: float) -> Cluster:
    cells = tuple(int(c) for c in problem.neighbour_index[s, : k + 1])
    inside = np.flatnonzero(np.isin(problem.cell_of, cells) & (problem.days_back <= w))
    return Cluster(
        centre=(float(problem.centres[s, 0]), float(problem.centres[s, 1])),
        # from the centre cell's centre to the far corner of the farthest cell: every incident
        # of the cylinder lies within it (a single cell is not a circle of 0 m)
        radius_metres=float(problem.neighbour_distance[s, k])
        + problem.settings.cell_metres / math.sqrt(2),
        cells=cells,
        first_day=problem.analysis_day - timedelta(days=w),
        last_day=problem.analysis_day,
        observed=len(inside),
        expected=float(problem.space_margin[s, k] * problem.time_margin[w] / problem.total),
        log_likelihood_ratio=llr,
        p_value=p,
        recurrence_days=1.0 / p,
        is_alarm=1.0 / p >= problem.settings.alarm_recurrence_days,
        incidents=tuple(int(i) for i in problem.source_index[inside]),
    )


def scan_clusters(
    problem: Problem, seed: int = 1, engine: str = "numba", most: int = 5
) -> list[Cluster]:
    """The most likely cluster, then secondary clusters that share no cell with those before.

    All are judged against the same replicates (as SaTScan does), so a secondary cluster's
    p-value is conservative.
    """
    llr, s, k, w = observed_statistic(problem, engine)
    if llr <= 0 or s < 0:
        return []
    maxima = replicate_maxima(problem, seed, engine)
    found = [_cluster(problem, llr, s, k, w, p_value(llr, maxima))]
    blocked = np.zeros(problem.centres.shape[0], dtype=np.bool_)
    while len(found) < most:
        blocked[list(found[-1].cells)] = True
        llr, s, k, w = observed_statistic(problem, "numba", blocked)
        if llr <= 0 or s < 0:
            break
        found.append(_cluster(problem, llr, s, k, w, p_value(llr, maxima)))
    return found


def scan(problem: Problem, seed: int = 1, engine: str = "numba") -> Cluster | None:
    """The most likely cluster on the analysis day with its p-value, or None if there is none."""
    clusters = scan_clusters(problem, seed, engine, most=1)
    return clusters[0] if clusters else None
