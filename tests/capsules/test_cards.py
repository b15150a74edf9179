"""Image cards: the PNG sizes, every text box fits (measured on the rendered text), legible."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw

from phenomena.capsules.wording import LANGUAGES
from phenomena.taxonomy import PhenomenonType
from prevnet.capsule_media.card import BACKGROUND, Card, CardFormat, render_card, render_cards
from prevnet.capsule_media.fonts import Weight
from prevnet.capsule_media.layout import Box, blank, font, set_text
from prevnet.capsule_media.pictograms import pictogram
from tests.capsules.alerts import LONG_ADVICE, capsule

LONG_COMMUNE = "Sint-Pieters-Woluwe (Woluwe-Saint-Pierre) en omgeving"
SMALLEST_PX = {CardFormat.SQUARE: 34, CardFormat.WIDE: 24}
"""About 3% of the card's height or more: readable on a phone screen, card shown full width."""


def _image(card: Card) -> Image.Image:
    image = Image.open(io.BytesIO(card.png))
    assert image.format == "PNG"
    return image


def _assert_texts_fit(card: Card) -> None:
    image = _image(card)
    draw = ImageDraw.Draw(image)
    whole = Box(0, 0, *image.size)
    for laid in card.texts:
        assert whole.holds((laid.box.left, laid.box.top, laid.box.right, laid.box.bottom))
        face = font(laid.weight, laid.size)
        for origin, line in zip(laid.origins, laid.lines, strict=True):
            assert laid.box.holds(draw.textbbox(origin, line, font=face)), (line, laid.box)
        assert laid.size >= SMALLEST_PX[card.format]


def _assert_nothing_outside_the_boxes(card: Card) -> None:
    """Every pixel below the band, outside the pictogram and the text boxes, is background."""
    image = _image(card).convert("RGB")
    mask = Image.new("L", image.size, 255)
    paint = ImageDraw.Draw(mask)
    paint.rectangle((0, 0, image.size[0], card.band), fill=0)
    for box in (card.texts[1].box, card.texts[2].box, card.icon):
        paint.rectangle((box.left, box.top, box.right, box.bottom), fill=0)
    plain = Image.new("RGB", image.size, BACKGROUND)
    outside = ImageChops.difference(image, plain).convert("L").point(lambda v: 255 if v else 0)
    stray = ImageChops.multiply(outside, mask)
    assert stray.getbbox() is None, f"ink outside the text boxes at {stray.getbbox()}"


@pytest.mark.parametrize("card_format", list(CardFormat), ids=lambda f: f.name)
def test_cards_have_the_sizes_feeds_and_link_previews_ask_for(card_format: CardFormat) -> None:
    card = render_card(capsule("fr"), card_format)
    assert _image(card).size == card_format.value
    assert {c.format.value for c in render_cards(capsule("nl"))} == {(1080, 1080), (1200, 630)}


def test_the_card_shows_the_title_the_tip_and_the_commune() -> None:
    drafted = capsule("fr")
    card = render_card(drafted, CardFormat.SQUARE)
    commune, title, tip = card.texts
    assert " ".join(commune.lines) == "Mons"
    assert " ".join(title.lines) == drafted.title
    assert " ".join(tip.lines) == drafted.tip
    _assert_texts_fit(card)
    _assert_nothing_outside_the_boxes(card)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("card_format", list(CardFormat), ids=lambda f: f.name)
def test_long_texts_fit_their_boxes_in_every_language(
    language: str, card_format: CardFormat
) -> None:
    drafted = capsule(language, advice=LONG_ADVICE, commune=LONG_COMMUNE)
    card = render_card(drafted, card_format)
    _assert_texts_fit(card)
    _assert_nothing_outside_the_boxes(card)
    tip = card.texts[2]
    assert " ".join(tip.lines).endswith("…")  # cut at a word, not run off the card


@pytest.mark.parametrize("kind", list(PhenomenonType), ids=lambda k: k.value)
def test_every_type_gets_a_card_whose_texts_fit(kind: PhenomenonType) -> None:
    card = render_card(capsule("de", kind, advice=LONG_ADVICE), CardFormat.WIDE)
    _assert_texts_fit(card)
    _assert_nothing_outside_the_boxes(card)


def test_a_word_too_wide_for_its_box_is_cut_rather_than_overflow() -> None:
    drafted = capsule("nl", advice="Kinder" + "bescherming" * 12 + " en meer")
    card = render_card(drafted, CardFormat.WIDE)
    _assert_texts_fit(card)


def test_every_type_has_a_pictogram_of_its_own() -> None:
    drawn = {kind: pictogram(kind, 120, (31, 111, 139)).tobytes() for kind in PhenomenonType}
    assert len(set(drawn.values())) == len(PhenomenonType)
    house = pictogram(PhenomenonType.RESIDENTIAL_BURGLARY, 120, (31, 111, 139))
    assert house.size == (120, 120)
    assert house.getpixel((60, 40)) == (255, 255, 255, 255)  # white art on the disc
    assert house.getpixel((1, 1)) == (0, 0, 0, 0)  # transparent outside the disc


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_set_in_a_box_stays_inside_it(text: str) -> None:
    _, draw = blank((600, 300), BACKGROUND)
    box = Box(20, 30, 420, 230)
    laid = set_text(draw, text, box, Weight.REGULAR, 40, 20, (0, 0, 0))
    face = font(laid.weight, laid.size)
    for origin, line in zip(laid.origins, laid.lines, strict=True):
        assert box.holds(draw.textbbox(origin, line, font=face)), line
