"""Detection benchmark on the Chicago 2016 burglaries, in one run:

- the wall time of one daily analysis at 999 replicates, Numba engine against the plain NumPy
  baseline of the same statistic (targets: under 10 s, at least 20x faster, identical ratios);
- power for planted waves of 8 and 12 burglaries within 250 m over 7 days (targets 0.5, 0.9);
- false alerts per 30 daily analyses of null data (target: at most 1).

The baseline computes the same statistic to the digit (checked on the timed analysis), so its
power and false alerts are those of the engine; they are measured with the engine only.

    python -m benchmarks.detection [--trials 20] [--baseline-replicates 999]
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from benchmarks.common import parser
from phenomena.detection.scan import (
    ScanSettings,
    observed_statistic,
    prepare,
    replicate_maxima,
    scan,
)
from phenomena.detection.synthetic import Incidents, null_background, plant_wave
from prevnet.datasets import read_xy_dates

DATA = (
    Path(__file__).resolve().parents[1]
    / "tests"
    / "data"
    / "incidents"
    / "chicago_residential_burglary_2016.csv"
)
DAY = date(2016, 11, 30)


def load() -> Incidents:
    return read_xy_dates(DATA)


def timing(data: Incidents, baseline_replicates: int) -> None:
    settings = ScanSettings(replicates=999)
    problem = prepare(data.x, data.y, data.days, DAY, settings)
    replicate_maxima(
        prepare(data.x, data.y, data.days, DAY, ScanSettings(replicates=2)), 0
    )  # compile
    start = time.perf_counter()
    cluster = scan(problem, seed=1)
    ours = time.perf_counter() - start
    base_problem = prepare(
        data.x, data.y, data.days, DAY, ScanSettings(replicates=baseline_replicates)
    )
    start = time.perf_counter()
    base_observed = observed_statistic(base_problem, "numpy")
    base_maxima = replicate_maxima(base_problem, seed=1, engine="numpy")
    base = (time.perf_counter() - start) * (999 + 1) / (baseline_replicates + 1)
    ours_maxima = replicate_maxima(base_problem, seed=1)
    same = bool(np.allclose(ours_maxima, base_maxima, rtol=1e-12)) and np.isclose(
        observed_statistic(base_problem)[0], base_observed[0], rtol=1e-12
    )
    note = "" if baseline_replicates == 999 else f" (extrapolated from {baseline_replicates})"
    print(
        f"cells {problem.centres.shape[0]}, incidents {problem.total}, cylinders "
        f"{problem.neighbour_index.size * problem.time_margin.size}"
    )
    print(
        f"one daily analysis, 999 replicates: numba {ours:.1f} s, numpy baseline {base:.1f} s"
        f"{note}, ratio {base / ours:.1f}x, identical likelihood ratios: {same}"
    )
    if cluster is not None:
        print(
            f"  most likely cluster: {cluster.observed} observed / {cluster.expected:.1f} expected,"
            f" p = {cluster.p_value:.3g}, recurrence {cluster.recurrence_days:.0f} days"
        )


def power(data: Incidents, count: int, trials: int) -> float:
    found = 0
    for trial in range(trials):
        background = null_background(data, 1000 + trial)
        centre = (float(data.x[trial * 389]), float(data.y[trial * 389]))
        planted = plant_wave(background, centre, count, 250, DAY, 7, seed=trial)
        cluster = scan(prepare(planted.x, planted.y, planted.days, DAY), seed=trial)
        if (
            cluster
            and cluster.is_alarm
            and np.hypot(cluster.centre[0] - centre[0], cluster.centre[1] - centre[1]) <= 500
        ):
            found += 1
    return found / trials


def false_alerts(data: Incidents, analyses: int = 30) -> int:
    background = null_background(data, 7)
    alarms = 0
    for offset in range(analyses):
        day = DAY - timedelta(days=analyses - 1 - offset)
        cluster = scan(prepare(background.x, background.y, background.days, day), seed=offset)
        alarms += bool(cluster and cluster.is_alarm)
    return alarms


def main() -> None:
    options = parser(__doc__)
    options.add_argument("--trials", type=int, default=20)
    options.add_argument("--baseline-replicates", type=int, default=999)
    args = options.parse_args()
    data = load()
    timing(data, args.baseline_replicates)
    for count, target in ((8, 0.5), (12, 0.9)):
        print(
            f"power, {count} burglaries within 250 m over 7 days: "
            f"{power(data, count, args.trials):.2f} (target {target}; baseline identical)"
        )
    print(
        f"false alerts in 30 daily analyses of null data: {false_alerts(data)} "
        "(target at most 1; baseline identical)"
    )


if __name__ == "__main__":
    main()
