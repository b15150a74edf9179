"""Posters and cocoon letters: one A4 page each, the capsule's words in it, a QR code zbar reads."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from phenomena.capsules.capsule import CapsuleRefused
from phenomena.capsules.wording import LANGUAGES
from phenomena.errors import InvalidValue
from phenomena.tlp import Tlp
from prevnet.capsule_media.card import CardFormat, render_card
from prevnet.capsule_media.printed import render_cocoon_letter, render_poster
from tests.capsules.alerts import LINK, LONG_ADVICE, capsule, detected

A4_POINTS = (595.28, 841.89)
STREETS = ["rue de la Station", "rue des Arbalestriers", "Grand-Place"]


def _one_a4_page(pdf: bytes) -> str:
    """Check the PDF is a single A4 page; its text."""
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width, 1), round(height, 1)) == (round(A4_POINTS[0], 1), round(A4_POINTS[1], 1))
    return " ".join(page.extract_text().split())


def _qr_codes(pdf: bytes, tmp_path: Path) -> list[str]:
    """The QR codes zbar finds on the page, rendered at 150 dpi by poppler's pdftoppm."""
    source = tmp_path / "capsule.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(source), str(tmp_path / "page")],
        check=True,
    )
    found = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(tmp_path / "page.png")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    return found.stdout.splitlines()


def test_the_poster_is_one_a4_page_with_the_capsule_and_a_qr_code_to_the_page(
    tmp_path: Path,
) -> None:
    drafted = capsule("fr")
    pdf = render_poster(drafted)
    text = _one_a4_page(pdf)
    for shown in (drafted.title, drafted.tip, "Mons", "Scannez pour plus de conseils", LINK):
        assert " ".join(shown.split()) in text, shown
    assert _qr_codes(pdf, tmp_path) == [LINK]
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None and metadata.title == drafted.title


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_poster_with_long_texts_stays_on_one_page_in_every_language(
    language: str, tmp_path: Path
) -> None:
    drafted = capsule(language, advice=LONG_ADVICE, commune="Sint-Pieters-Woluwe " * 4)
    pdf = render_poster(drafted)
    _one_a4_page(pdf)
    assert _qr_codes(pdf, tmp_path) == [LINK]


def test_the_cocoon_letter_names_the_streets_and_gives_the_tip(tmp_path: Path) -> None:
    drafted = capsule("nl")
    pdf = render_cocoon_letter(drafted, STREETS, detected())
    text = _one_a4_page(pdf)
    assert "Aan de bewoners van uw straat" in text
    assert "rue de la Station, rue des Arbalestriers, Grand-Place" in text
    assert "Wat u kunt doen: " + drafted.tip in text
    assert "De preventiedienst van Mons" in text
    assert _qr_codes(pdf, tmp_path) == [LINK]


def test_a_cocoon_letter_to_forty_streets_still_fits_one_page(tmp_path: Path) -> None:
    streets = [f"Stationsstraat-{n} verlengde zijstraat" for n in range(40)]
    pdf = render_cocoon_letter(capsule("de", advice=LONG_ADVICE), streets, detected())
    _one_a4_page(pdf)
    assert _qr_codes(pdf, tmp_path) == [LINK]


def test_a_cocoon_letter_needs_streets_and_not_too_many() -> None:
    with pytest.raises(InvalidValue, match="name at least one"):
        render_cocoon_letter(capsule("fr"), ["  "], detected())
    with pytest.raises(InvalidValue, match=r"41 streets.*poster"):
        render_cocoon_letter(capsule("fr"), [f"rue {n}" for n in range(41)], detected())


def test_a_cocoon_letter_needs_a_tip() -> None:
    with pytest.raises(InvalidValue, match="no tip"):
        render_cocoon_letter(capsule("fr", advice=None), STREETS, detected())


def test_a_cocoon_letter_is_only_for_an_alert_that_detection_proposed() -> None:
    with pytest.raises(InvalidValue, match=r"A-12 was not proposed by detection.*poster"):
        render_cocoon_letter(capsule("fr"), STREETS, detected(alert_id=40))


@pytest.mark.parametrize("tlp", [Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED])
def test_nothing_is_printed_or_drawn_for_a_capsule_that_is_not_public(tlp: Tlp) -> None:
    restricted = replace(capsule("fr"), tlp=tlp)
    for render in (
        render_poster,
        lambda c: render_cocoon_letter(c, STREETS, detected()),
        lambda c: render_card(c, CardFormat.SQUARE),
    ):
        with pytest.raises(CapsuleRefused, match=f"A-12 is {re.escape(tlp.label)}"):
            render(restricted)
