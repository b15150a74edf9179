"""A proposal as text (``prevnet detect`` and the draft alerts in ``#moderation``) and as JSON
(``prevnet detect --json``): one rendering, so the analyst and the moderator read the same."""

from __future__ import annotations

import math
from typing import Any

from phenomena.detection.proposals import Proposal
from phenomena.detection.report import ClusterReport
from phenomena.detection.wording import centre_in_words, in_words, municipality_name
from phenomena.incidents import SCAN_CRS
from phenomena.territory import TerritoryRegistry


def _places(report: ClusterReport, territories: TerritoryRegistry, language: str) -> str:
    names = [
        municipality_name(territories.municipalities[n], language)
        for n in report.municipalities
        if n in territories.municipalities
    ]
    return ", ".join(names) or "an area with no known municipality"


def number(value: float) -> str:
    """An expected count with the precision it deserves: 12, 3.4, 0.049."""
    if value >= 10:
        return f"{value:.0f}"
    if value >= 0.1:
        return f"{value:.1f}"
    return f"{value:.2g}"


def _ratio(observed: float, expected: float) -> str:
    return f"{observed / expected:.1f}x" if expected else "none expected"


def describe(proposal: Proposal, territories: TerritoryRegistry, language: str = "en") -> str:
    """Several lines: place and centre, radius, period, observed against expected, the log
    likelihood ratio, p-value and how rare by chance, then the terms its reports share."""
    main = proposal.main
    c = main.cluster
    days = (c.last_day - c.first_day).days + 1
    _, _, _, centre = centre_in_words(c.centre, territories, language)
    verdict = "ALARM" if c.is_alarm else "not significant"
    headline = f"{main.kind.value} in {_places(main, territories, language)}"
    if main.term:
        headline += f": new modus operandi '{main.term}'"
    lines = [
        headline,
        f"  {centre}; radius {c.radius_metres:,.0f} m",
        f"  {c.first_day:%Y-%m-%d} to {c.last_day:%Y-%m-%d} ({days} day{'s' * (days != 1)}): "
        f"{c.observed} observed, {number(c.expected)} expected "
        f"({_ratio(c.observed, c.expected)})",
        f"  log-likelihood ratio {c.log_likelihood_ratio:.1f}, p = {c.p_value:.2g}, "
        f"by chance {in_words(c.recurrence_days)}: {verdict}",
    ]
    for other in proposal.also:
        o = other.cluster
        what = f"reports mention '{other.term}'" if other.term else "overlapping cluster"
        lines.append(
            f"  also {what}: {o.observed} observed, {number(o.expected)} expected, "
            f"p = {o.p_value:.2g} ({in_words(o.recurrence_days)})"
        )
    return "\n".join(lines)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _cluster_json(
    report: ClusterReport, territories: TerritoryRegistry, language: str
) -> dict[str, Any]:
    c = report.cluster
    lat, lon, nearest, _ = centre_in_words(c.centre, territories, language)
    return {
        "kind": report.kind.value,
        "term": report.term,
        "alarm": c.is_alarm,
        "centre": {"lat": round(lat, 6), "lon": round(lon, 6)},
        "centre_metres": {"x": round(c.centre[0], 1), "y": round(c.centre[1], 1), "crs": SCAN_CRS},
        "nearest_municipality": (
            {"nis": nearest.nis, "name": municipality_name(nearest, language)} if nearest else None
        ),
        "municipalities": [
            {"nis": n, "name": municipality_name(territories.municipalities[n], language)}
            for n in report.municipalities
            if n in territories.municipalities
        ],
        "radius_metres": round(c.radius_metres, 1),
        "first_day": c.first_day.isoformat(),
        "last_day": c.last_day.isoformat(),
        "observed": c.observed,
        "expected": round(c.expected, 4),
        "log_likelihood_ratio": round(c.log_likelihood_ratio, 4),
        "p_value": c.p_value,
        "recurrence_days": _finite(c.recurrence_days),
        "recurrence": in_words(c.recurrence_days),
        "incident_ids": list(report.incident_ids),
    }


def as_json(
    proposal: Proposal, territories: TerritoryRegistry, language: str = "en"
) -> dict[str, Any]:
    """The proposal for scripts: its leading cluster, the terms, and the merged clusters."""
    record = _cluster_json(proposal.main, territories, language)
    record["terms"] = list(proposal.terms)
    record["merged"] = [_cluster_json(r, territories, language) for r in proposal.also]
    return record
