"""Detection output an analyst acts on: a centre on the map and its municipality in the reader's
language, rarity in words, and one proposal for one phenomenon however many alarms it raised."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from phenomena.detection.modus import modus_clusters
from phenomena.detection.projection import projector
from phenomena.detection.proposals import Proposal, merge_alarms, shown
from phenomena.detection.records import DetectionRecord
from phenomena.detection.rendering import as_json, describe
from phenomena.detection.report import ClusterReport, modus_report
from phenomena.detection.scan import Cluster, ScanSettings, prepare, scan_clusters
from phenomena.detection.wording import in_words
from phenomena.services.detection import proposal_modus, proposal_summary
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry

DAY = date(2026, 11, 20)
MONS = (3.9523, 50.4541)  # lon, lat of the Grand-Place
BURGLARY = PhenomenonType.RESIDENTIAL_BURGLARY


def cluster(
    centre: tuple[float, float],
    incidents: tuple[int, ...],
    p: float = 1e-6,
    observed: int = 12,
    llr: float = 23.4,
) -> Cluster:
    return Cluster(
        centre=centre,
        radius_metres=250.0,
        cells=(),
        first_day=DAY - timedelta(days=6),
        last_day=DAY,
        observed=observed,
        expected=0.4,
        log_likelihood_ratio=llr,
        p_value=p,
        recurrence_days=1 / p,
        is_alarm=1 / p >= 365,
        incidents=incidents,
    )


def wave(
    ids: tuple[int, ...], p: float = 1e-6, term: str | None = None, observed: int = 12
) -> ClusterReport:
    centre = projector("EPSG:4326")(*MONS)
    return ClusterReport(BURGLARY, cluster(centre, ids, p, observed), ("53053",), ids, term=term)


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (27 * 365.25, "about once in 27 years"),
        (3_136_160_383, "less than once in a thousand years"),
        (float("inf"), "less than once in a thousand years"),
        (400, "about once a year"),
        (91, "about once in 3 months"),
        (12, "about once in 12 days"),
        (264 * 365.25, "about once in 260 years"),
    ],
)
def test_recurrence_intervals_in_words(days: float, words: str) -> None:
    assert in_words(days) == words


def test_a_cluster_is_described_with_its_centre_municipality_and_rarity(
    territories: TerritoryRegistry,
) -> None:
    text = describe(Proposal(wave(tuple(range(12)), p=1 / (27 * 365.25))), territories)
    lines = text.splitlines()
    assert lines[0] == "residential-burglary in Mons (Bergen)"
    assert "centre 50.454" in lines[1] and ", 3.952" in lines[1]  # to the metre or so
    assert "nearest municipality Mons (Bergen); radius 250 m" in lines[1]
    assert lines[2] == "  2026-11-14 to 2026-11-20 (7 days): 12 observed, 0.4 expected (30.0x)"
    assert lines[3].startswith("  log-likelihood ratio 23.4, p = 0.0001")
    assert lines[3].endswith("by chance about once in 27 years: ALARM")
    assert "Bergen;" in describe(Proposal(wave((1, 2, 3))), territories, "nl")
    assert "municipality Mons;" in describe(Proposal(wave((1, 2, 3))), territories, "fr")


def test_json_for_scripts(territories: TerritoryRegistry) -> None:
    record = as_json(Proposal(wave((5, 6, 7), p=1e-300)), territories, "nl")
    assert record["centre"]["lat"] == pytest.approx(MONS[1], abs=1e-5)
    assert record["centre"]["lon"] == pytest.approx(MONS[0], abs=1e-5)
    assert record["nearest_municipality"] == {"nis": "53053", "name": "Bergen"}
    assert record["radius_metres"] == 250.0 and record["observed"] == 12
    assert record["first_day"] == "2026-11-14" and record["incident_ids"] == [5, 6, 7]
    assert record["recurrence"] == "less than once in a thousand years"
    assert record["terms"] == [] and record["merged"] == []


def test_a_centre_outside_belgium_names_no_municipality(territories: TerritoryRegistry) -> None:
    report = ClusterReport(BURGLARY, cluster((0.0, 0.0), (1, 2, 3)), (), (1, 2, 3))
    assert "no Belgian municipality within 25 km" in describe(Proposal(report), territories)


def test_alarms_whose_incidents_mostly_coincide_are_one_proposal() -> None:
    scan = wave(tuple(range(1, 6)), p=1e-7, observed=5)
    arrested = wave((1, 2, 3, 4, 5, 40), p=1e-5, term="cocaine", observed=6)
    cash = wave((2, 3, 4, 5, 41, 42), p=1e-4, term="cash", observed=6)
    elsewhere = wave((60, 61, 62, 63), p=1e-5, term="fake police card", observed=4)
    quiet = wave((70, 71), p=0.5, observed=2)
    (operation, other) = merge_alarms([arrested, scan, cash, elsewhere, quiet])
    assert operation.main is scan  # the wave says where; the terms say what
    assert operation.terms == ("cocaine", "cash")
    assert proposal_modus(operation) == "Reports mention: 'cocaine', 'cash'"
    assert other.main is elsewhere and other.also == ()
    assert len(shown([scan, quiet, arrested], everything=True)) == 1  # 2 events: not shown


def test_one_police_operation_raises_one_proposal(territories: TerritoryRegistry) -> None:
    """Five arrests at one point within 90 minutes: the scan and two new terms, merged."""
    rng = np.random.default_rng(5)
    centre = projector("EPSG:4326")(*MONS)
    usual = ["possession of cannabis in the street", "dealing near the park", "pills sold online"]
    n = 700
    x = centre[0] + rng.uniform(-5000, 5000, n)
    y = centre[1] + rng.uniform(-5000, 5000, n)
    days = DAY.toordinal() - rng.integers(0, 365, n)
    texts: list[str | None] = [usual[int(i)] for i in rng.integers(0, len(usual), n)]
    # the operation: five arrests at the station; cocaine and cash were also found elsewhere
    x = np.concatenate((x, centre[0] + rng.uniform(-20, 20, 9)))
    y = np.concatenate((y, centre[1] + rng.uniform(-20, 20, 9)))
    x[-4:] += [3000, -3500, 4000, -2500]
    days = np.concatenate((days, [DAY.toordinal()] * 5 + [DAY.toordinal() - 3] * 4))
    texts += ["arrested at the station with cocaine and cash"] * 5
    texts += ["cocaine found in a car", "cocaine found at home"]
    texts += ["cash seized from a dealer", "cash seized in a flat"]
    ids = np.arange(len(x), dtype=np.int64)
    nis: list[str | None] = ["53053"] * len(x)
    reports = [
        modus_report(PhenomenonType.DRUG_DEALING, found, x, y, ids, nis)
        for found in modus_clusters(texts, days, DAY)
    ]
    assert len(reports) >= 2  # "cocaine" and "cash": seven reports each, five in common
    problem = prepare(x, y, days, DAY, ScanSettings(replicates=99))
    for found in scan_clusters(problem, seed=5):
        reports.append(
            ClusterReport(
                PhenomenonType.DRUG_DEALING,
                found,
                ("53053",),
                tuple(int(ids[i]) for i in found.incidents),
            )
        )
    assert sum(r.cluster.is_alarm for r in reports) >= 3
    (proposal,) = merge_alarms(reports)
    assert proposal.main.term is None and proposal.main.cluster.observed >= 5
    assert "cocaine" in proposal.terms
    summary = proposal_summary(proposal, territories)
    assert summary.startswith("Possible wave detected: ")
    assert "nearest municipality Mons (Bergen)" in summary
    assert "also reports mention 'cocaine'" in summary


def test_a_wave_proposed_yesterday_is_not_proposed_again_as_a_new_term() -> None:
    yesterday = DetectionRecord(
        alert_id=1,
        kind=BURGLARY.value,
        centre=(0.0, 0.0),
        radius_metres=250,
        first_day=DAY - timedelta(days=7),
        last_day=DAY - timedelta(days=1),
        observed=8,
        expected=0.3,
        p_value=1e-5,
        incident_ids=tuple(range(1, 9)),
    )
    grown = wave((*range(1, 9), 20, 21), term="rear window")  # the same reports, and two more
    assert yesterday.overlaps(grown)
    assert not yesterday.overlaps(wave((30, 31, 32), term="rear window"))  # other reports
