"""Text set in a box on a Pillow image: wrapped at spaces and sized down until it fits.

Sizes are measured on the rendered text (``ImageDraw.textbbox``), never estimated from character
counts, so a long Dutch compound or a German title cannot run off the card. What was laid out is
returned, so a caller (or a test) can measure it again.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from phenomena.capsules.capsule import fit
from prevnet.capsule_media.fonts import Weight, font_path

LINE_SPACING = 1.25


@dataclass(frozen=True)
class Box:
    """A rectangle on the image: left, top, right, bottom in pixels."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def holds(self, bbox: tuple[float, float, float, float]) -> bool:
        """Whether a measured bounding box lies inside this one."""
        left, top, right, bottom = bbox
        return (
            self.left <= left and self.top <= top and right <= self.right and bottom <= self.bottom
        )


@dataclass(frozen=True)
class SetText:
    """Text as laid out: its box, lines, weight, size in pixels and each line's top-left corner."""

    box: Box
    lines: tuple[str, ...]
    weight: Weight
    size: int
    origins: tuple[tuple[int, int], ...]


@functools.cache
def font(weight: Weight, size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans of a weight at ``size`` pixels."""
    return ImageFont.truetype(str(font_path(weight)), size)


def _width(draw: ImageDraw.ImageDraw, text: str, face: ImageFont.FreeTypeFont) -> float:
    left, _, right, _ = draw.textbbox((0, 0), text, font=face)
    return right - left


def wrap(
    draw: ImageDraw.ImageDraw, text: str, face: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    """Lines of ``text`` no wider than ``width`` when rendered; a word wider alone gets None."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if _width(draw, candidate, face) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = word
        lines.append(line)
    return lines


def _place(
    draw: ImageDraw.ImageDraw, lines: list[str], face: ImageFont.FreeTypeFont, box: Box
) -> list[tuple[int, int]]:
    """Each line's pen position: the first line's ink at the box's top, lines a step apart."""
    step = round(face.size * LINE_SPACING)
    _, top, _, _ = draw.textbbox((0, 0), lines[0] if lines else "", font=face)
    origins = []
    for index, line in enumerate(lines):
        left, _, _, _ = draw.textbbox((0, 0), line, font=face)
        origins.append((box.left - int(left), box.top - int(top) + index * step))
    return origins


def _fits(
    draw: ImageDraw.ImageDraw, lines: list[str], face: ImageFont.FreeTypeFont, box: Box
) -> bool:
    origins = _place(draw, lines, face, box)
    return all(
        box.holds(draw.textbbox(origin, line, font=face))
        for origin, line in zip(origins, lines, strict=True)
    )


def set_text(
    draw: ImageDraw.ImageDraw,
    text: str,
    box: Box,
    weight: Weight,
    largest: int,
    smallest: int,
    fill: tuple[int, int, int],
) -> SetText:
    """Draw ``text`` in ``box`` at the largest size from ``largest`` down to ``smallest`` that
    fits; if even the smallest does not, the text is cut at a word with an ellipsis until it does.
    """
    size = largest
    while True:
        face = font(weight, size)
        lines = wrap(draw, text, face, box.width)
        if _fits(draw, lines, face, box) or size <= smallest:
            break
        size = max(smallest, size - 2)
    limit = len(text)
    while not _fits(draw, lines, face, box) and limit > 1:
        limit = max(1, min(limit - 1, int(limit * 0.9)))
        lines = wrap(draw, fit(text, limit), face, box.width)
    origins = _place(draw, lines, face, box)
    for origin, line in zip(origins, lines, strict=True):
        draw.text(origin, line, font=face, fill=fill)
    return SetText(box, tuple(lines), weight, size, tuple(origins))


def measured(draw: ImageDraw.ImageDraw, laid: SetText) -> list[tuple[float, float, float, float]]:
    """The rendered bounding box of every line, measured again with Pillow."""
    face = font(laid.weight, laid.size)
    return [
        draw.textbbox(origin, line, font=face)
        for origin, line in zip(laid.origins, laid.lines, strict=True)
    ]


def blank(
    size: tuple[int, int], colour: tuple[int, int, int]
) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """A new RGB image of one colour, and a drawing context on it."""
    image = Image.new("RGB", size, colour)
    return image, ImageDraw.Draw(image)
