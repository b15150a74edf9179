"""The capsule catalogues: every message in every language, and calm wording of their own."""

from __future__ import annotations

import re

import pytest

from phenomena.capsules.capsule import Part
from phenomena.capsules.screen import screen_capsule
from phenomena.capsules.wording import LANGUAGES, LOCALE_DIR, Wording
from phenomena.errors import InvalidValue
from phenomena.taxonomy import PhenomenonType
from tests.capsules.alerts import capsule

COMMON = ("tip-intro", "contact", "more", "hashtag-prevention", "poster-scan", "cocoon-heading")


def _keys(language: str) -> set[str]:
    text = (LOCALE_DIR / language / "LC_MESSAGES" / "capsules.po").read_text(encoding="utf-8")
    return set(re.findall(r'^msgid "(.+)"$', text, re.MULTILINE))


def test_every_catalogue_has_the_same_messages() -> None:
    english = _keys("en")
    assert {f"{k.value}:title" for k in PhenomenonType} <= english
    for language in LANGUAGES:
        assert _keys(language) == english, language


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_type_has_its_own_title_lead_and_hashtag(language: str) -> None:
    words = Wording(language)
    for kind in PhenomenonType:
        title = words.of(kind, "title")
        assert 0 < len(title) <= Part.TITLE.limit
        assert "Mons" in words.of(kind, "lead", commune="Mons")
        assert re.fullmatch(r"#\w+", words.of(kind, "hashtag"))
    for key in COMMON:
        assert words(key, commune="Mons", link="https://x.be") != key


def test_the_languages_really_differ() -> None:
    titles = {lang: Wording(lang).of(PhenomenonType.PHONE_SCAM, "title") for lang in LANGUAGES}
    assert len(set(titles.values())) == len(LANGUAGES)
    assert titles["fr"] == "Raccrochez, puis rappelez vous-même"


def test_a_missing_message_is_an_error_not_a_key_shown_to_residents() -> None:
    with pytest.raises(LookupError, match="missing from the nl catalogue"):
        Wording("nl")("no-such-message")


def test_an_unknown_language_names_the_known_ones() -> None:
    with pytest.raises(InvalidValue, match="fr, nl, de, en"):
        Wording("es")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(PhenomenonType), ids=lambda k: k.value)
def test_the_templates_themselves_pass_the_screen(kind: PhenomenonType, language: str) -> None:
    drafted = capsule(language, kind, advice="Verrouillez toujours la porte.")
    assert screen_capsule(drafted) == ()
