"""Drafting citizen capsules: public alerts only, every language, every limit held."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phenomena.alert import AlertStatus
from phenomena.capsules.capsule import ELLIPSIS, CapsuleRefused, Part, PartTooLong, edit, fit
from phenomena.capsules.drafting import draft_capsules, languages_of, names_of
from phenomena.capsules.wording import LANGUAGES
from phenomena.errors import InvalidValue
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import Language, TerritoryRegistry
from phenomena.tlp import Tlp
from tests.capsules.alerts import LINK, LONG_ADVICE, alert, capsule

LIMITS = {"title": 60, "short": 280, "long": 1000}


@pytest.mark.parametrize("tlp", [Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED])
def test_amber_and_red_alerts_are_refused_with_the_reason_and_what_to_do(tlp: Tlp) -> None:
    with pytest.raises(CapsuleRefused) as refused:
        draft_capsules(alert(tlp=tlp), commune="Mons", prevention_url=LINK, languages=["fr"])
    message = str(refused.value)
    assert "A-12" in message and tlp.label in message
    assert "only TLP:CLEAR and TLP:GREEN" in message
    assert "GREEN version" in message  # what to do


@pytest.mark.parametrize("tlp", [Tlp.CLEAR, Tlp.GREEN])
def test_clear_and_green_alerts_become_capsules(tlp: Tlp) -> None:
    (drafted,) = draft_capsules(
        alert(tlp=tlp), commune="Mons", prevention_url=LINK, languages=["fr"]
    )
    assert drafted.tlp is tlp and drafted.alert_ref == "A-12"


def test_an_alert_that_is_not_published_is_refused() -> None:
    with pytest.raises(CapsuleRefused, match="published"):
        draft_capsules(
            alert(status=AlertStatus.DRAFT), commune="Mons", prevention_url=LINK, languages=["fr"]
        )


def test_one_capsule_per_language_of_the_area_in_its_own_words() -> None:
    drafted = draft_capsules(
        alert(),
        commune={"fr": "Bruxelles", "nl": "Brussel"},
        prevention_url=LINK,
        languages=[Language.FR, Language.NL],
    )
    assert [c.language for c in drafted] == ["fr", "nl"]
    french, dutch = drafted
    assert french.title == "Une porte fermée à clé, un logement plus sûr"
    assert dutch.title == "Een afgesloten woning is een veiligere woning"
    assert "Bruxelles" in french.long and "Brussel" in dutch.long
    assert "#Bruxelles" in french.hashtags.split() and "#preventie" in dutch.hashtags.split()


def test_the_advice_is_the_tip_in_every_post_and_the_link_ends_the_short_post() -> None:
    drafted = capsule("en")
    advice = "Fermez portes et fenêtres à clé, même pour une courte absence."
    assert drafted.tip == advice
    assert advice in drafted.short and advice in drafted.long
    assert drafted.short.endswith(" " + LINK)
    assert f"More tips from Mons: {LINK}" in drafted.long
    assert "One thing you can do: " + advice in drafted.long


def test_advice_given_per_language_becomes_that_language_s_tip() -> None:
    dutch_tip = "Sluit deuren en ramen af, ook als u maar even weg bent."
    french, dutch = draft_capsules(
        alert(),
        commune="Mons",
        prevention_url=LINK,
        languages=["fr", "nl"],
        advice={"nl": dutch_tip},
    )
    assert dutch.tip == dutch_tip and dutch_tip in dutch.short and dutch_tip in dutch.long
    assert french.tip == alert().content.advice


def test_a_municipality_gives_its_languages_and_names(territories: TerritoryRegistry) -> None:
    brussels = territories.municipalities["21004"]
    assert set(languages_of(brussels)) == {"fr", "nl"}
    assert names_of(brussels)["nl"] == "Brussel"
    eupen = territories.municipalities["63023"]
    assert languages_of(eupen) == ("de",)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(PhenomenonType), ids=lambda k: k.value)
def test_every_type_and_language_holds_every_limit_with_long_advice(
    kind: PhenomenonType, language: str
) -> None:
    long_name = "Sint-Pieters-Woluwe (Woluwe-Saint-Pierre) en omgeving en de hele regio"
    drafted = capsule(language, kind, advice=LONG_ADVICE, commune=long_name)
    for part, limit in LIMITS.items():
        text = getattr(drafted, part)
        assert len(text) <= limit, (part, len(text))
    assert len(drafted.tip) <= Part.TIP.limit and len(drafted.hashtags) <= Part.HASHTAGS.limit
    assert drafted.short.endswith(LINK) and LINK in drafted.long  # the link is never cut
    assert drafted.tip.endswith(ELLIPSIS) and ELLIPSIS in drafted.long
    for text in (drafted.tip, drafted.short.removesuffix(LINK).rstrip(), drafted.long):
        _assert_cut_between_words(text, LONG_ADVICE)


def _assert_cut_between_words(text: str, source: str) -> None:
    """Before each ellipsis stands a whole word of the source, never part of one."""
    words = set(source.split())
    for piece in text.split(ELLIPSIS)[:-1]:
        last = piece.split()[-1]
        assert last in words or last.rstrip(",;:") in words or last + "," in words, last


@pytest.mark.parametrize("language", LANGUAGES)
def test_short_advice_is_kept_whole_in_every_language(language: str) -> None:
    drafted = capsule(language, advice="Verrouillez votre voiture.")
    assert ELLIPSIS not in drafted.short + drafted.long + drafted.tip + drafted.title


@given(st.text(st.characters(codec="utf-8"), max_size=400), st.integers(1, 300))
def test_fit_holds_the_limit_and_never_cuts_a_word(text: str, limit: int) -> None:
    cut = fit(text, limit)
    assert len(cut) <= limit
    stripped = text.strip()
    if len(stripped) <= limit:
        assert cut == stripped
    else:
        kept = cut.removesuffix(ELLIPSIS)
        assert cut.endswith(ELLIPSIS)
        assert stripped.startswith(kept)
        if kept:
            assert stripped[len(kept)] in " \t\n,;:-–—"  # a word boundary, not inside a word


def test_editing_a_part_replaces_it() -> None:
    drafted = capsule("fr")
    edited = edit(drafted, "short", "Fermez à clé. " + LINK)
    assert edited.short == "Fermez à clé. " + LINK
    assert edited.long == drafted.long
    assert edit(drafted, "Title:", "Un logement fermé").title == "Un logement fermé"


@pytest.mark.parametrize(("part", "limit"), [("title", 60), ("short", 280), ("long", 1000)])
def test_an_edit_over_the_limit_says_the_limit_and_the_length(part: str, limit: int) -> None:
    drafted = capsule("nl")
    text = "woord " * 200
    with pytest.raises(PartTooLong) as too_long:
        edit(drafted, part, text)
    message = str(too_long.value)
    length = len(text.strip())
    assert f"is {length} characters" in message and f"limit is {limit}" in message
    assert f"shorten it by {length - limit}" in message
    assert edit(drafted, part, "w" * limit).part(Part.parse(part)) == "w" * limit


def test_edits_that_make_no_sense_are_refused_with_what_to_write() -> None:
    drafted = capsule("de")
    with pytest.raises(InvalidValue, match=r"no part 'body'.*title, short, long, hashtags"):
        edit(drafted, "body", "text")
    with pytest.raises(InvalidValue, match="cannot be empty"):
        edit(drafted, "title", "  ")
    with pytest.raises(InvalidValue, match="not hashtags: Prävention"):
        edit(drafted, "hashtags", "#Einbruch Prävention")
    assert edit(drafted, "hashtags", "#Einbruch   #Eupen").hashtags == "#Einbruch #Eupen"


def test_a_prevention_page_that_is_not_a_web_address_is_refused() -> None:
    with pytest.raises(InvalidValue, match="https://"):
        draft_capsules(alert(), commune="Mons", prevention_url="mons.be", languages=["fr"])


def test_an_unknown_language_is_refused_with_the_known_ones() -> None:
    with pytest.raises(InvalidValue, match="fr, nl, de, en"):
        draft_capsules(alert(), commune="Mons", prevention_url=LINK, languages=["it"])
