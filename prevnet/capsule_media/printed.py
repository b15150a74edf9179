"""A4 PDFs for notice boards and letterboxes: the poster and the "cocoon" letter of a capsule.

Laid out with reportlab's flowables inside one frame that shrinks its content rather than spill
onto a second page; the QR code to the prevention page is drawn as vector squares (segno's
matrix), so it stays sharp at any print size.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import segno
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    Image,
    KeepInFrame,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from phenomena.capsules.capsule import Capsule, require_public
from phenomena.capsules.cocoon import cocoon_letter
from phenomena.capsules.wording import Wording
from prevnet.capsule_media.card import BAND, INK
from prevnet.capsule_media.fonts import Weight, font_path
from prevnet.capsule_media.pictograms import pictogram

if TYPE_CHECKING:
    from phenomena.detection.records import DetectionRecord

MARGIN = 2 * cm
QR_SIZE = 5 * cm
_BAND = colors.Color(*(c / 255 for c in BAND))
_INK = colors.Color(*(c / 255 for c in INK))


@functools.cache
def _fonts() -> tuple[str, str]:
    """DejaVu Sans registered with reportlab (embedded, so accents print everywhere)."""
    pdfmetrics.registerFont(TTFont("CapsuleSans", str(font_path(Weight.REGULAR))))
    pdfmetrics.registerFont(TTFont("CapsuleSans-Bold", str(font_path(Weight.BOLD))))
    return "CapsuleSans", "CapsuleSans-Bold"


def _style(size: float, bold: bool = False, colour: colors.Color = _INK) -> ParagraphStyle:
    regular, heavy = _fonts()
    return ParagraphStyle(
        f"capsule-{size}-{bold}",
        fontName=heavy if bold else regular,
        fontSize=size,
        leading=size * 1.25,
        textColor=colour,
        spaceAfter=size * 0.6,
    )


def _text(text: str, size: float, bold: bool = False, colour: colors.Color = _INK) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), _style(size, bold, colour))


def _square(x: float, y: float, side: float, fill: colors.Color) -> Rect:
    square = Rect(x, y, side, side)
    square.fillColor = fill  # set after: the stubs type Rect's keyword arguments wrongly
    square.strokeColor = None
    return square


def qr_drawing(link: str, size: float = QR_SIZE) -> Drawing:
    """The link as a QR code (error correction M, quiet zone of four modules) of ``size`` points."""
    code = segno.make(link, error="m", micro=False)
    rows = list(code.matrix_iter(scale=1, border=4))
    module = size / len(rows)
    drawing = Drawing(size, size)
    drawing.add(_square(0, 0, size, colors.white))
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                top = size - (y + 1) * module
                drawing.add(_square(x * module, top, module, colors.black))
    return drawing


def _icon(capsule: Capsule, size: float) -> Image:
    buffer = io.BytesIO()
    pictogram(capsule.kind, 600, BAND).save(buffer, format="PNG")
    buffer.seek(0)
    return Image(buffer, width=size, height=size)


def _qr_block(capsule: Capsule, caption: str) -> Table:
    label = [_text(caption, 16, bold=True), _text(capsule.link, 11)]
    table = Table([[qr_drawing(capsule.link), label]], colWidths=[QR_SIZE + 0.6 * cm, None])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def _one_page(story: Sequence[Flowable], title: str, author: str) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=author,
        creator="prevnet",
        invariant=True,
    )
    frame = KeepInFrame(document.width, document.height, list(story), mode="shrink")
    document.build([frame])
    return buffer.getvalue()


def render_poster(capsule: Capsule) -> bytes:
    """The capsule as a one-page A4 poster: commune, pictogram, title, tip, QR code, link."""
    require_public(capsule)
    words = Wording(capsule.language)
    story: list[Flowable] = [
        _text(capsule.commune, 22, bold=True, colour=_BAND),
        Spacer(1, 0.4 * cm),
        _icon(capsule, 6 * cm),
        Spacer(1, 0.6 * cm),
        _text(capsule.title, 38, bold=True),
        Spacer(1, 0.3 * cm),
        _text(capsule.tip, 24),
        Spacer(1, 0.8 * cm),
        _qr_block(capsule, words("poster-scan")),
    ]
    return _one_page(story, title=capsule.title, author=capsule.commune)


def render_cocoon_letter(
    capsule: Capsule, streets: Sequence[str], detected: DetectionRecord
) -> bytes:
    """The one-page A4 letter for the streets around a detected cluster (near-repeat prevention)."""
    require_public(capsule)
    letter = cocoon_letter(capsule, streets, detected)
    words = Wording(capsule.language)
    story: list[Flowable] = [
        Table(
            [[_text(capsule.commune, 18, bold=True, colour=_BAND), _icon(capsule, 2.4 * cm)]],
            colWidths=[None, 2.8 * cm],
            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]),
        ),
        Spacer(1, 0.6 * cm),
        _text(letter.heading, 20, bold=True),
        _text(letter.intro, 12),
        _text(capsule.title, 16, bold=True),
        _text(letter.tip, 14),
        _text(letter.contact, 12),
        _text(letter.streets, 10),
        Spacer(1, 0.4 * cm),
        _qr_block(capsule, words("poster-scan")),
        Spacer(1, 0.6 * cm),
        _text(letter.signature, 12, bold=True),
    ]
    return _one_page(story, title=letter.heading, author=capsule.commune)
