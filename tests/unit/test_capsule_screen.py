"""The capsule content screen: what it finds, where and what to do; fuzzing cannot break it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phenomena.capsules.capsule import Part, edit
from phenomena.capsules.screen import Concern, ScreenFinding, screen_capsule, screen_text
from phenomena.capsules.screen_words import word_lists
from phenomena.capsules.wording import LANGUAGES
from tests.capsules.alerts import capsule


def _found(text: str, language: str, concern: Concern) -> list[str]:
    return [f.text for f in screen_text(text, Part.LONG, language) if f.concern is concern]


@pytest.mark.parametrize(
    ("language", "text", "address"),
    [
        ("fr", "Vol commis rue de la Station 12 hier soir.", "rue de la Station 12"),
        ("fr", "Au 5 avenue Louise? Non : avenue Louise 231, Bruxelles.", "avenue Louise 231"),
        ("fr", "Près de la chaussée de Mons 1204b.", "chaussée de Mons 1204b"),
        ("nl", "Inbraak in de Stationsstraat 12 te Gent.", "Stationsstraat 12"),
        ("nl", "Aan de Grote Markt 7 werd iets gezien.", "Markt 7"),
        ("de", "Einbruch in der Bahnhofstraße 12 in Eupen.", "Bahnhofstraße 12"),
        ("de", "An der Aachener Straße 3a gesehen.", "Straße 3a"),
        ("en", "Someone broke in at 12 Station Road last night.", "12 Station Road"),
    ],
)
def test_exact_street_addresses_are_found_in_each_language_form(
    language: str, text: str, address: str
) -> None:
    found = _found(text, language, Concern.STREET_ADDRESS)
    assert len(found) == 1 and address in found[0]


def test_a_street_without_a_house_number_is_no_address() -> None:
    text = "Dans le quartier de la rue de la Station et de la Stationsstraat, douze faits."
    assert _found(text, "fr", Concern.STREET_ADDRESS) == []


@pytest.mark.parametrize("plate", ["1-ABC-123", "1ABC123", "ABC-123", "123-ABC", "2-xyz-987"])
def test_belgian_licence_plates_are_found(plate: str) -> None:
    assert _found(f"Une voiture {plate} a été vue.", "fr", Concern.LICENCE_PLATE) == [plate]


def test_a_phone_number_is_not_a_plate() -> None:
    text = "Appelez le 101 ou le 0475 12 34 56."
    assert _found(text, "fr", Concern.LICENCE_PLATE) == []
    assert _found(text, "fr", Concern.PERSONAL_DATA) == ["0475 12 34 56"]


def test_personal_data_is_found_with_the_existing_screen() -> None:
    text = "Écrivez à jean.dupont@example.org ou versez sur BE68 5390 0754 7034."
    assert _found(text, "fr", Concern.PERSONAL_DATA) == [
        "jean.dupont@example.org",
        "BE68 5390 0754 7034",
    ]


@pytest.mark.parametrize(
    ("language", "text", "flagged"),
    [
        ("fr", "Deux Roumains ont été vus.", ["Roumains"]),
        ("fr", "Un homme d'origine maghrébine.", ["d'origine", "maghrébine"]),
        ("nl", "Een Roemeen werd gezien.", ["Roemeen"]),
        ("de", "Ein Rumäne wurde gesehen.", ["Rumäne"]),
        ("en", "A Romanian man was seen.", ["Romanian"]),
    ],
)
def test_people_described_by_origin_alone_are_flagged(
    language: str, text: str, flagged: list[str]
) -> None:
    assert _found(text, language, Concern.ORIGIN_ONLY) == flagged


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "Un homme d'environ 30 ans, roumain, portant une veste rouge."),
        ("nl", "Een Roemeen van ongeveer 30 jaar met een rode jas."),
        ("de", "Ein Rumäne, etwa 30 Jahre alt, mit roter Jacke."),
        ("en", "A Romanian man, about 30 years old, wearing a red jacket."),
        ("fr", "Un homme portant une veste rouge."),  # no origin at all: fine too
    ],
)
def test_several_descriptors_or_none_are_fine(language: str, text: str) -> None:
    assert _found(text, language, Concern.ORIGIN_ONLY) == []


def test_the_descriptor_must_be_in_the_same_sentence() -> None:
    text = "Deux Roumains ont été vus. Un autre portait une veste."
    assert _found(text, "fr", Concern.ORIGIN_ONLY) == ["Roumains"]


@pytest.mark.parametrize(
    ("language", "text", "word", "instead"),
    [
        ("fr", "Une vague de cambriolages.", "vague de", "plusieurs faits de"),
        ("fr", "Une situation ALARMANTE.", "ALARMANTE", "à surveiller"),
        ("nl", "Een golf van inbraken.", "golf van", "een aantal feiten van"),
        ("nl", "Dit is alarmerend.", "alarmerend", "om in het oog te houden"),
        ("de", "Eine Welle von Einbrüchen.", "Welle", "mehrere Fälle"),
        ("de", "Das ist alarmierend.", "alarmierend", "beachtenswert"),
        ("en", "A wave of burglaries.", "wave of", "several cases of"),
        ("en", "An alarming rise.", "alarming", "worth knowing"),
    ],
)
def test_anxiety_words_come_with_a_calmer_alternative(
    language: str, text: str, word: str, instead: str
) -> None:
    (finding,) = [
        f for f in screen_text(text, Part.SHORT, language) if f.concern is Concern.ANXIETY
    ]
    assert finding.text == word and text[finding.start : finding.end] == word
    assert f"«{instead}»" in finding.todo
    assert "short post" in str(finding)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_its_lists_and_each_anxiety_word_an_alternative(language: str) -> None:
    lists = word_lists(language)
    assert len(lists.anxiety) >= 10 and len(lists.origin) >= 10 and len(lists.descriptors) >= 10
    for anxious in lists.anxiety:
        assert anxious.instead.strip() and anxious.instead != anxious.word
        found = _found(f"Texte {anxious.word.rstrip('*')} ici.", language, Concern.ANXIETY)
        assert found, anxious.word  # every shipped entry matches itself


def test_a_capsule_without_a_tip_is_a_finding() -> None:
    drafted = capsule("fr", advice=None)
    findings = screen_capsule(drafted)
    assert [f.concern for f in findings] == [Concern.NO_TIP]
    assert "edit tip" in findings[0].todo


def test_a_long_post_edited_without_the_tip_is_a_finding() -> None:
    drafted = edit(capsule("nl"), "long", "Een tekst zonder de tip. https://www.mons.be")
    (finding,) = screen_capsule(drafted)
    assert finding.concern is Concern.NO_TIP and finding.part is Part.LONG


def test_findings_in_an_edited_capsule_name_the_part_and_the_place() -> None:
    drafted = edit(capsule("fr"), "title", "Vague de vols rue Haute 5")
    findings = [f for f in screen_capsule(drafted) if f.part is Part.TITLE]
    assert [(f.concern, f.text) for f in findings] == [
        (Concern.ANXIETY, "Vague de"),
        (Concern.STREET_ADDRESS, "rue Haute 5"),
    ]
    assert str(findings[1]).startswith("exact address «rue Haute 5» (title, characters 15-25)")


# -- fuzzing: any text, never a crash; a planted plate or address, never missed ----------------

_NAMES = st.text(st.characters(categories=["Lu", "Ll"]), min_size=2, max_size=12)
_ANY = st.text(max_size=200)


@st.composite
def _addresses(draw: st.DrawFn) -> str:
    name = draw(_NAMES)
    number = draw(st.integers(1, 9999))
    form = draw(st.sampled_from(["fr", "nl", "de"]))
    if form == "fr":
        way = draw(st.sampled_from(["rue", "avenue", "chaussée", "place", "boulevard"]))
        article = draw(st.sampled_from(["de la ", "du ", "des ", "de l'", ""]))
        return f"{way} {article}{name.capitalize()} {number}"
    suffix = draw(
        st.sampled_from(
            ["straat", "laan", "steenweg", "plein"]
            if form == "nl"
            else ["straße", "strasse", "weg", "platz", "gasse"]
        )
    )
    return f"{name.capitalize()}{suffix} {number}"


_PLATES = st.from_regex(r"\A(?:[1-9]-[A-Z]{3}-\d{3}|[1-9][A-Z]{3}\d{3}|[A-Z]{3}-\d{3})\Z")


def _covered(findings: list[ScreenFinding], start: int, end: int, concern: Concern) -> bool:
    return any(f.concern is concern and f.start <= start and end <= f.end for f in findings)


@settings(max_examples=300, deadline=None)
@given(_ANY, st.sampled_from(LANGUAGES))
def test_the_screen_never_crashes_on_any_text(text: str, language: str) -> None:
    for finding in screen_text(text, Part.LONG, language):
        assert 0 <= finding.start <= finding.end <= len(text)
        assert text[finding.start : finding.end] == finding.text


@settings(max_examples=300, deadline=None)
@given(_ANY, _PLATES, _ANY, st.sampled_from(LANGUAGES))
def test_a_planted_plate_is_never_missed(before: str, plate: str, after: str, lang: str) -> None:
    text = f"{before} {plate} {after}"
    start = len(before) + 1
    findings = screen_text(text, Part.LONG, lang)
    assert _covered(findings, start, start + len(plate), Concern.LICENCE_PLATE), text


@settings(max_examples=300, deadline=None)
@given(_ANY, _addresses(), _ANY, st.sampled_from(LANGUAGES))
def test_a_planted_address_is_never_missed(
    before: str, address: str, after: str, lang: str
) -> None:
    text = f"{before} {address} {after}"
    start = len(before) + 1
    findings = screen_text(text, Part.LONG, lang)
    assert _covered(findings, start, start + len(address), Concern.STREET_ADDRESS), text
