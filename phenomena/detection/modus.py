"""New modus operandi: terms that recent reports share far more often than history predicts.

Each report's free text gives a set of terms (words of three letters or more, and pairs of such
neighbouring words, the stop words of the report's own language left out). For every term, its
share of the recent reports (the last ``window_days``) is compared with its share of the earlier
reports, by the one-sided Fisher exact test (a hypergeometric tail); p-values are multiplied by
the number of terms tested (Bonferroni), so a long vocabulary raises no alarm by chance. Only
reports with text count: a source that starts sending text makes no term new. Reports sharing
a significant term form the cluster.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from phenomena.detection.stopwords import language_of, meaningful
from phenomena.text import fold


def terms(text: str | None, fallback: str | None = None) -> set[str]:
    """The words and neighbouring word pairs of a report that can carry meaning.

    Stop words are those of the report's own language (``fallback`` when its words do not tell).
    """
    if not text:
        return set()
    folded = fold(text).split()
    words = meaningful(folded, language_of(folded, fallback))
    return set(words) | {f"{a} {b}" for a, b in pairwise(words)}


def corpus_terms(texts: Sequence[str | None]) -> list[set[str]]:
    """The terms of every report; reports whose words do not tell their language get the one
    most reports of the stream are written in."""
    split = [fold(t).split() if t else [] for t in texts]
    languages = Counter(language_of(words) for words in split if words)
    languages.pop(None, None)
    usual = languages.most_common(1)[0][0] if languages else None
    documents: list[set[str]] = []
    for words in split:
        kept = meaningful(words, language_of(words, usual))
        documents.append(set(kept) | {f"{a} {b}" for a, b in pairwise(kept)})
    return documents


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
    log_likelihood_ratio: float = 0.0  # recent share against earlier share (G / 2)

    @property
    def recurrence_days(self) -> float:
        """For daily analyses: how often chance alone would give this."""
        return 1.0 / self.p_value if self.p_value > 0 else float("inf")


def _share_llr(recent: int, n_recent: int, earlier: int, n_earlier: int) -> float:
    """The log likelihood ratio of two shares against one (half the G statistic of the 2x2)."""
    total, with_term = n_recent + n_earlier, recent + earlier
    value = 0.0
    for count, row, column in (
        (recent, n_recent, with_term),
        (n_recent - recent, n_recent, total - with_term),
        (earlier, n_earlier, with_term),
        (n_earlier - earlier, n_earlier, total - with_term),
    ):
        if count > 0:
            value += count * math.log(count * total / (row * column))
    return value


def modus_clusters(
    texts: Sequence[str | None],
    days: npt.NDArray[np.int64],
    as_of: date,
    window_days: int = 14,
    minimum: int = 3,
    alarm_recurrence_days: float = 365.0,
    rise: float = 2.0,
) -> list[ModusCluster]:
    """Significant new-modus clusters on ``as_of``, most significant first, no nested repeats.

    A term is new when its share of the recent reports is at least ``rise`` times its share of
    the earlier ones, and significantly so; more reports saying the usual things are not new.
    """
    # imported here: scipy.stats costs every prevnet process about a second to import, and only
    # the daily detection run needs it
    from scipy.stats import hypergeom

    last = as_of.toordinal()
    documents = corpus_terms(texts)
    has_text = np.array([bool(d) for d in documents], dtype=np.bool_)
    recent = (days > last - window_days) & (days <= last) & has_text
    earlier = (days <= last - window_days) & has_text
    n_recent, n_earlier = int(recent.sum()), int(earlier.sum())
    if n_recent == 0 or n_earlier == 0:
        return []  # no history to compare with (or nothing recent): nothing can be called new
    before: dict[str, int] = defaultdict(int)
    recent_with: dict[str, list[int]] = defaultdict(list)
    for i, found in enumerate(documents):
        if recent[i]:
            for term in found:
                recent_with[term].append(i)
        elif earlier[i]:
            for term in found:
                before[term] += 1
    candidates = {t: idx for t, idx in recent_with.items() if len(idx) >= minimum}
    tested = max(len(candidates), 1)
    found_clusters: list[ModusCluster] = []
    for term, members in candidates.items():
        observed, old = len(members), before[term]
        expected = old / n_earlier * n_recent  # what the earlier share predicts
        if observed < rise * expected:
            continue
        # one-sided Fisher exact test: is the share higher among recent reports than earlier?
        tail = float(hypergeom.sf(observed - 1, n_recent + n_earlier, observed + old, n_recent))
        adjusted = min(1.0, max(tail * tested, 1e-300))  # a tail that underflows is tiny
        if 1.0 / adjusted < alarm_recurrence_days:
            continue
        member_days = days[members]
        found_clusters.append(
            ModusCluster(
                term=term,
                incidents=tuple(members),
                first_day=date.fromordinal(int(member_days.min())),
                last_day=as_of,
                observed=observed,
                expected=expected,
                p_value=adjusted,
                log_likelihood_ratio=_share_llr(observed, n_recent, old, n_earlier),
            )
        )
    found_clusters.sort(key=lambda c: (c.p_value, -len(c.term)))
    kept: list[ModusCluster] = []
    for cluster in found_clusters:  # "fausse carte" and "carte police" are the same wave
        if not any(set(cluster.incidents) <= set(k.incidents) for k in kept):
            kept.append(cluster)
    return kept
