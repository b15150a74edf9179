"""New modus operandi: an unusual shared term is found; the usual vocabulary is not."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from phenomena.detection.modus import corpus_terms, modus_clusters, terms

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


ENGLISH_USUAL = [
    "rear door forced with a screwdriver",
    "window smashed and jewellery taken from the bedroom",
    "lock cylinder snapped on the front door",
    "garage door pried open, tools taken",
]


def english_reports(planted: int, seed: int = 2) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    texts = [ENGLISH_USUAL[int(rng.integers(0, len(ENGLISH_USUAL)))] for _ in range(600)]
    days = [DAY.toordinal() - int(rng.integers(0, 365)) for _ in range(600)]
    for _ in range(planted):
        texts.append("two men posed as water company workers and asked to check the pipes")
        days.append(DAY.toordinal() - int(rng.integers(0, 10)))
    return texts, np.array(days, dtype=np.int64)


def test_stop_words_are_those_of_the_reports_own_language() -> None:
    english = terms("The rear door was forced with a crowbar")
    assert {"door", "rear door", "forced", "crowbar"} <= english
    assert "the" not in english and "was" not in english
    dutch = terms("De achterdeur werd door de dader opengebroken")
    assert "door" not in dutch and {"achterdeur", "dader", "opengebroken"} <= dutch
    german = terms("Der Täter hat die Tür aufgebrochen und einen Hut getragen")
    assert "hat" not in german and {"tater", "tur", "aufgebrochen", "hut"} <= german
    assert "hat" in terms("A man in a black hat forced the door")


def test_three_letter_words_are_kept_unless_they_are_stop_words() -> None:
    found = terms("Used a pry bar on the ATM near the gas station, then left in a white van")
    assert {"pry", "bar", "atm", "gas", "van", "pry bar", "white van"} <= found
    assert "the" not in found
    assert "van" not in terms("De fiets van de buurman is gestolen")  # Dutch for "of"


def test_a_report_too_short_to_tell_gets_the_language_of_its_stream() -> None:
    texts, _ = english_reports(planted=0)
    texts.append("door forced")  # no stop word: English, like the stream
    found = corpus_terms(texts)[-1]
    assert "door" in found and "forced" in found
    dutch_stream = ["de achterdeur werd opengebroken met een schroevendraaier"] * 20
    assert "door" not in corpus_terms([*dutch_stream, "door forced"])[-1]


def test_a_new_modus_in_english_is_found() -> None:
    texts, days = english_reports(planted=6)
    found = modus_clusters(texts, days, DAY)
    assert found, "the planted modus was not found"
    assert any(word in found[0].term for word in ("water", "posed", "company", "pipes"))
    assert found[0].observed == 6 and found[0].expected < 1
    assert modus_clusters(*english_reports(planted=0), DAY) == []


def test_more_reports_saying_the_usual_things_are_not_a_new_modus() -> None:
    rng = np.random.default_rng(7)
    texts, days = english_reports(planted=0)
    for _ in range(120):  # five times the usual volume in the last two weeks, the same words
        texts.append(ENGLISH_USUAL[int(rng.integers(0, len(ENGLISH_USUAL)))])
        days = np.append(days, DAY.toordinal() - int(rng.integers(0, 14)))
    assert modus_clusters(texts, days, DAY) == []


def test_a_source_that_starts_sending_text_makes_no_term_new() -> None:
    rng = np.random.default_rng(8)
    texts: list[str | None] = [None] * 500  # a year of reports without free text
    days = [DAY.toordinal() - int(rng.integers(14, 365)) for _ in range(500)]
    for _ in range(40):  # then the source adds its free-text column
        texts.append(ENGLISH_USUAL[int(rng.integers(0, len(ENGLISH_USUAL)))])
        days.append(DAY.toordinal() - int(rng.integers(0, 14)))
    assert modus_clusters(texts, np.array(days, dtype=np.int64), DAY) == []


def test_a_term_too_significant_for_floating_point_is_still_found() -> None:
    texts, days = english_reports(planted=0, seed=3)
    texts = texts * 4  # 2400 reports over the year
    days = np.concatenate([days] * 4)
    texts += ["thieves posed as water company workers"] * 400
    days = np.concatenate((days, np.full(400, DAY.toordinal(), dtype=np.int64)))
    (found,) = modus_clusters(texts, days, DAY)
    assert found.observed == 400 and 0 < found.p_value < 1e-250
