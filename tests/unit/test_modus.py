"""New modus operandi: an unusual shared term is found; the usual vocabulary is not."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from phenomena.detection.modus import modus_clusters, terms

DAY = date(2026, 11, 20)
USUAL = [
    "porte arrière forcée avec un tournevis",
    "fenêtre cassée, bijoux volés",
    "cylindre de la serrure arraché",
    "achterdeur opengebroken met schroevendraaier",
    "raam ingeslagen, juwelen gestolen",
]


def reports(planted: int, seed: int = 1) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    texts = [USUAL[int(rng.integers(0, len(USUAL)))] for _ in range(800)]
    days = [DAY.toordinal() - int(rng.integers(0, 365)) for _ in range(800)]
    for i in range(planted):
        texts.append(f"un homme présente une fausse carte de police et fouille la maison ({i})")
        days.append(DAY.toordinal() - int(rng.integers(0, 10)))
    return texts, np.array(days, dtype=np.int64)


def test_terms() -> None:
    assert {"fausse", "carte", "police", "fausse carte", "carte police"} <= terms(
        "Une FAUSSE carte de police"
    )
    assert terms(None) == set() and "avec" not in terms("avec un tournevis")


def test_a_new_modus_is_found() -> None:
    texts, days = reports(planted=6)
    found = modus_clusters(texts, days, DAY)
    assert found, "the planted modus was not found"
    best = found[0]
    assert any(word in best.term for word in ("fausse", "carte", "police", "fouille"))
    assert best.observed == 6 and best.expected < 1
    assert best.last_day == DAY and DAY - best.first_day <= timedelta(days=13)
    assert len(found) <= 2  # its terms are one wave, not a list of words


def test_the_usual_vocabulary_raises_nothing() -> None:
    texts, days = reports(planted=0)
    assert modus_clusters(texts, days, DAY) == []


def test_an_old_modus_is_not_new() -> None:
    texts, days = reports(planted=6)
    days[-6:] = DAY.toordinal() - 200  # the same reports, months ago
    assert modus_clusters(texts, days, DAY) == []
