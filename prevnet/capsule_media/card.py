"""The image card of a capsule, square (1080x1080) for feeds and wide (1200x630) for link previews.

Title, tip, the commune's name and the type's pictogram, in sizes a phone screen shows legibly:
the smallest text is about 3% of the card's height, and every text box is measured to fit.
"""

from __future__ import annotations

import enum
import functools
import io
from dataclasses import dataclass

from PIL import Image

from phenomena.capsules.capsule import Capsule, require_public
from phenomena.taxonomy import PhenomenonType
from prevnet.capsule_media.fonts import Weight
from prevnet.capsule_media.layout import Box, SetText, blank, set_text
from prevnet.capsule_media.pictograms import pictogram

BACKGROUND = (244, 248, 251)
BAND = (31, 111, 139)
INK = (27, 42, 53)
WHITE = (255, 255, 255)


class CardFormat(enum.Enum):
    """The two card sizes, in pixels."""

    SQUARE = (1080, 1080)
    WIDE = (1200, 630)


@dataclass(frozen=True)
class _Layout:
    band: int
    commune: Box
    icon: tuple[int, int, int]  # left, top, size
    title: Box
    tip: Box
    title_sizes: tuple[int, int]  # largest, smallest
    tip_sizes: tuple[int, int]
    commune_sizes: tuple[int, int]


_LAYOUTS = {
    CardFormat.SQUARE: _Layout(
        band=150,
        commune=Box(72, 40, 1008, 112),
        icon=(72, 210, 250),
        title=Box(362, 210, 1008, 460),
        tip=Box(72, 520, 1008, 1010),
        title_sizes=(66, 40),
        tip_sizes=(58, 34),
        commune_sizes=(56, 34),
    ),
    CardFormat.WIDE: _Layout(
        band=96,
        commune=Box(48, 22, 1152, 74),
        icon=(48, 132, 200),
        title=Box(280, 124, 1152, 300),
        tip=Box(280, 324, 1152, 598),
        title_sizes=(56, 30),
        tip_sizes=(44, 24),
        commune_sizes=(44, 26),
    ),
}


@dataclass(frozen=True)
class Card:
    """A rendered card: its PNG bytes, and where things are (for measuring again).

    ``texts`` are the commune's name, the title and the tip as laid out; ``band`` is the height of
    the coloured band with the name; ``icon`` the pictogram's box.
    """

    format: CardFormat
    png: bytes
    texts: tuple[SetText, ...]
    band: int
    icon: Box


@functools.cache
def _pictogram(kind: PhenomenonType, size: int) -> Image.Image:
    """Drawn once per type and size: it is only ever pasted, never changed."""
    return pictogram(kind, size, BAND)


def render_card(capsule: Capsule, card_format: CardFormat) -> Card:
    """The capsule's card in one format, as PNG (refused for a capsule that is not public)."""
    require_public(capsule)
    layout = _LAYOUTS[card_format]
    image, draw = blank(card_format.value, BACKGROUND)
    draw.rectangle((0, 0, card_format.value[0], layout.band), fill=BAND)
    commune = set_text(
        draw, capsule.commune, layout.commune, Weight.BOLD, *layout.commune_sizes, fill=WHITE
    )
    left, top, size = layout.icon
    icon = _pictogram(capsule.kind, size)
    image.paste(icon, (left, top), icon)
    title = set_text(draw, capsule.title, layout.title, Weight.BOLD, *layout.title_sizes, fill=INK)
    tip = set_text(draw, capsule.tip, layout.tip, Weight.REGULAR, *layout.tip_sizes, fill=INK)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return Card(
        card_format,
        buffer.getvalue(),
        (commune, title, tip),
        layout.band,
        Box(left, top, left + size, top + size),
    )


def render_cards(capsule: Capsule) -> tuple[Card, ...]:
    """The capsule's card in every format."""
    return tuple(render_card(capsule, f) for f in CardFormat)
