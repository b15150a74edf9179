"""New modus operandi: terms that recent reports share far more often than history predicts.

Each report's free text gives a set of terms (words of four letters or more, and pairs of such
neighbouring words, stop words of French, Dutch, German and English left out). For every term,
the number of recent reports (the last ``window_days``) that contain it is compared with what
the term's frequency over the whole history predicts, by the hypergeometric tail; p-values are
multiplied by the number of terms tested (Bonferroni), so a long vocabulary raises no alarm by
chance. Reports sharing a significant term form the cluster.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

import numpy as np
import numpy.typing as npt
from scipy.stats import hypergeom

from phenomena.text import fold

STOPWORDS = frozenset(
    [
        "avec",
        "dans",
        "pour",
        "sans",
        "sous",
        "chez",
        "leur",
        "leurs",
        "elle",
        "elles",
        "nous",
        "vous",
        "ils",
        "sont",
        "etait",
        "avait",
        "cette",
        "celui",
        "celle",
        "entre",
        "apres",
        "avant",
        "pendant",
        "dont",
        "mais",
        "plus",
        "tres",
        "tout",
        "tous",
        "toute",
        "toutes",
        "aussi",
        "ainsi",
        "comme",
        "quand",
        "lors",
        "vers",
        "voor",
        "zijn",
        "werd",
        "heeft",
        "hebben",
        "deze",
        "door",
        "naar",
        "tussen",
        "niet",
        "maar",
        "ook",
        "over",
        "onder",
        "zonder",
        "wordt",
        "bijna",
        "eine",
        "einer",
        "eines",
        "einem",
        "oder",
        "nach",
        "durch",
        "wurde",
        "wurden",
        "sind",
        "auch",
        "noch",
        "schon",
        "unter",
        "ohne",
        "zwischen",
        "with",
        "from",
        "that",
        "this",
        "were",
        "have",
        "been",
        "into",
        "under",
        "after",
        "before",
        "their",
        "there",
        "which",
        "while",
        "about",
        "would",
        "could",
    ]
)


def terms(text: str | None) -> set[str]:
    """The words and neighbouring word pairs of a report that can carry meaning."""
    if not text:
        return set()
    words = [w for w in fold(text).split() if len(w) >= 4 and w not in STOPWORDS]
    return set(words) | {f"{a} {b}" for a, b in pairwise(words)}


@dataclass(frozen=True)
class ModusCluster:
    """Recent reports sharing an unusual term."""

    term: str
    incidents: tuple[int, ...]  # positions in the arrays given
    first_day: date
    last_day: date
    observed: int
    expected: float
    p_value: float  # Bonferroni-adjusted

    @property
    def recurrence_days(self) -> float:
        """For daily analyses: how often chance alone would give this."""
        return 1.0 / self.p_value if self.p_value > 0 else float("inf")


def modus_clusters(
    texts: Sequence[str | None],
    days: npt.NDArray[np.int64],
    as_of: date,
    window_days: int = 14,
    minimum: int = 3,
    alarm_recurrence_days: float = 365.0,
) -> list[ModusCluster]:
    """Significant new-modus clusters on ``as_of``, most significant first, no nested repeats."""
    last = as_of.toordinal()
    recent = (days > last - window_days) & (days <= last)
    documents = [terms(t) for t in texts]
    frequency: dict[str, int] = defaultdict(int)
    recent_with: dict[str, list[int]] = defaultdict(list)
    for i, found in enumerate(documents):
        for term in found:
            frequency[term] += 1
            if recent[i]:
                recent_with[term].append(i)
    population, drawn = len(texts), int(recent.sum())
    candidates = {t: idx for t, idx in recent_with.items() if len(idx) >= minimum}
    tested = max(len(candidates), 1)
    found_clusters: list[ModusCluster] = []
    for term, members in candidates.items():
        tail = float(hypergeom.sf(len(members) - 1, population, frequency[term], drawn))
        adjusted = min(1.0, tail * tested)
        if adjusted <= 0 or 1.0 / adjusted < alarm_recurrence_days:
            continue
        member_days = days[members]
        found_clusters.append(
            ModusCluster(
                term=term,
                incidents=tuple(members),
                first_day=date.fromordinal(int(member_days.min())),
                last_day=as_of,
                observed=len(members),
                expected=frequency[term] * drawn / population,
                p_value=adjusted,
            )
        )
    found_clusters.sort(key=lambda c: (c.p_value, -len(c.term)))
    kept: list[ModusCluster] = []
    for cluster in found_clusters:  # "fausse carte" and "carte police" are the same wave
        if not any(set(cluster.incidents) <= set(k.incidents) for k in kept):
            kept.append(cluster)
    return kept
