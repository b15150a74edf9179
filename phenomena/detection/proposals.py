"""Alarms of one day that are one phenomenon become one proposal.

A police operation (five arrests at one point within 90 minutes) is at once a space-time
cluster and, through the words its reports share, one or more new-modus terms: three alarms for
one thing. Alarms whose incidents mostly coincide are grouped, transitively, and the group is
proposed once: the spatial cluster leads (it says where), the terms say what the reports share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from phenomena.detection.report import ClusterReport

MINIMUM_SHOWN = 3
"""Clusters smaller than this are not worth an analyst's time, however they score."""


@dataclass(frozen=True)
class Proposal:
    """One phenomenon: its leading cluster and the alarms of the same day that are the same."""

    main: ClusterReport
    also: tuple[ClusterReport, ...] = ()

    @property
    def reports(self) -> tuple[ClusterReport, ...]:
        """Every cluster behind the proposal, the leading one first."""
        return (self.main, *self.also)

    @property
    def terms(self) -> tuple[str, ...]:
        """The new-modus terms the proposal's reports share (empty for a wave alone)."""
        return tuple(r.term for r in self.reports if r.term)

    @property
    def is_alarm(self) -> bool:
        """Whether the leading cluster is significant."""
        return self.main.cluster.is_alarm


def mostly_coincide(a: ClusterReport, b: ClusterReport) -> bool:
    """Same type, and at least half of the smaller cluster's incidents are in the other."""
    if a.kind is not b.kind:
        return False
    first, second = (
        set(a.incident_ids or a.cluster.incidents),
        set(b.incident_ids or b.cluster.incidents),
    )
    smaller = min(len(first), len(second))
    return smaller > 0 and 2 * len(first & second) >= smaller


def _lead(group: Sequence[ClusterReport]) -> ClusterReport:
    waves = [r for r in group if r.term is None]
    return min(waves or group, key=lambda r: (r.cluster.p_value, -r.cluster.observed))


def merge_alarms(reports: Sequence[ClusterReport]) -> list[Proposal]:
    """The day's alarms as proposals, alarms that mostly coincide merged; most significant first."""
    alarms = [r for r in reports if r.cluster.is_alarm]
    group_of = list(range(len(alarms)))

    def root(i: int) -> int:
        while group_of[i] != i:
            group_of[i] = group_of[group_of[i]]
            i = group_of[i]
        return i

    for i, a in enumerate(alarms):
        for j in range(i + 1, len(alarms)):
            if mostly_coincide(a, alarms[j]):
                group_of[root(j)] = root(i)
    groups: dict[int, list[ClusterReport]] = {}
    for i, report in enumerate(alarms):
        groups.setdefault(root(i), []).append(report)
    proposals = []
    for group in groups.values():
        lead = _lead(group)
        rest = sorted((r for r in group if r is not lead), key=lambda r: r.cluster.p_value)
        proposals.append(Proposal(lead, tuple(rest)))
    return sorted(proposals, key=lambda p: p.main.cluster.p_value)


def shown(reports: Sequence[ClusterReport], everything: bool) -> list[Proposal]:
    """What an analyst reads: the merged alarms, then (``everything``) the clusters that are not
    significant, of at least ``MINIMUM_SHOWN`` incidents, most likely first."""
    proposals = merge_alarms(reports)
    if everything:
        quiet = [
            r for r in reports if not r.cluster.is_alarm and r.cluster.observed >= MINIMUM_SHOWN
        ]
        quiet.sort(key=lambda r: -r.cluster.log_likelihood_ratio)
        proposals += [Proposal(r) for r in quiet]
    return proposals
