"""The attention report's chart: per organisation, a bar of its alerts seen within an hour,
within a day, later and never (PNG, drawn with Pillow).

Every text is measured with the font before it is placed, and names too long for their column
are shortened with an ellipsis, so nothing overlaps or runs off the picture whatever the
organisation's name. ``Chart.labels`` says where each text went, for the tests and for anyone
checking a picture.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, timedelta, tzinfo
from functools import cache
from pathlib import Path

import matplotlib
from PIL import Image, ImageDraw, ImageFont

from phenomena.report import AttentionReport, OrganisationFigures

Box = tuple[int, int, int, int]  # left, top, right, bottom
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

SEGMENTS: tuple[tuple[str, str, str], ...] = (
    ("seen_within_hour", "seen within 1 hour", "#1a9850"),
    ("seen_within_day", "within a day", "#91cf60"),
    ("seen_later", "later", "#fdae61"),
    ("never_seen", "never", "#d73027"),
)
WIDTH = 960
MARGIN = 16
ROW = 30  # height of one organisation's row
BAR = 20
HEADER = MARGIN + 26 + 22  # the title, then the legend
SHOWN = 25  # organisations drawn; the text report and `prevnet report` list the rest
ELLIPSIS = "…"


@dataclass(frozen=True)
class PlacedText:
    """A text drawn on the chart: its box as Pillow measures it, and the area it must stay in."""

    text: str
    box: Box
    area: Box


@dataclass(frozen=True)
class Chart:
    """The PNG and where every text went."""

    png: bytes
    width: int
    height: int
    labels: tuple[PlacedText, ...]


@cache
def _font(size: int) -> Font:
    """DejaVu Sans, shipped with matplotlib (accents of every national language, the ellipsis)."""
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:  # pragma: no cover - a matplotlib without its fonts
        return ImageFont.load_default(size)


def _width(draw: ImageDraw.ImageDraw, text: str, font: Font) -> int:
    left, _, right, _ = draw.textbbox((0, 0), text, font=font)
    return int(right - left)


def fit(draw: ImageDraw.ImageDraw, text: str, font: Font, room: int) -> str:
    """``text``, shortened with an ellipsis until it is at most ``room`` pixels wide."""
    if _width(draw, text, font) <= room:
        return text
    for end in range(len(text) - 1, 0, -1):
        shorter = text[:end].rstrip() + ELLIPSIS
        if _width(draw, shorter, font) <= room:
            return shorter
    return ELLIPSIS


class _Canvas:
    """A picture that records each text it draws, with the area that text must stay within."""

    def __init__(self, width: int, height: int) -> None:
        self.image = Image.new("RGB", (width, height), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.placed: list[PlacedText] = []

    def text(
        self, xy: tuple[int, int], text: str, font: Font, area: Box, fill: str = "#222222"
    ) -> Box:
        self.draw.text(xy, text, font=font, fill=fill)
        left, top, right, bottom = self.draw.textbbox(xy, text, font=font)
        box = (int(left), int(top), int(right), int(bottom))
        self.placed.append(PlacedText(text, box, area))
        return box


def report_chart(
    report: AttentionReport, zone: tzinfo = UTC, shown: int = SHOWN, width: int = WIDTH
) -> Chart:
    """The chart of the ``shown`` organisations that received the most alerts (dates in
    ``zone``)."""
    rows = [r for r in report.organisations if r.received][:shown]
    hidden = sum(1 for r in report.organisations if r.received) - len(rows)
    title_font, font, small = _font(16), _font(13), _font(11)
    header = HEADER
    footer = 24 if hidden else 0
    height = header + max(len(rows), 1) * ROW + footer + MARGIN
    canvas = _Canvas(width, height)
    inner = (MARGIN, MARGIN, width - MARGIN, height - MARGIN)
    first = report.start.astimezone(zone)
    last = (report.end - timedelta(microseconds=1)).astimezone(zone)
    title = f"Alerts received and how soon they were seen, {first:%d/%m/%Y} to {last:%d/%m/%Y}"
    canvas.text(
        (MARGIN, MARGIN), fit(canvas.draw, title, title_font, inner[2] - MARGIN), title_font, inner
    )
    _legend(canvas, small, MARGIN + 26, inner)
    if not rows:
        canvas.text((MARGIN, header + 6), "No alert was received in this period.", font, inner)
        return _finish(canvas)
    label_room = min(
        max(_width(canvas.draw, r.name, font) for r in rows), (width - 2 * MARGIN) * 2 // 5
    )
    total_room = _width(canvas.draw, str(max(r.received for r in rows)), font) + 8
    bar_left = MARGIN + label_room + 10
    bar_room = width - MARGIN - total_room - bar_left
    most = max(r.received for r in rows)
    for index, row in enumerate(rows):
        top = header + index * ROW
        label_area = (MARGIN, top, MARGIN + label_room, top + ROW)
        name = fit(canvas.draw, row.name, font, label_room)
        canvas.text((MARGIN, top + (ROW - 16) // 2), name, font, label_area)
        _bar(canvas, row, small, (bar_left, top + (ROW - BAR) // 2), bar_room, most)
        length = round(bar_room * row.received / most)
        total_area = (bar_left + length, top, width - MARGIN, top + ROW)
        canvas.text(
            (bar_left + length + 4, top + (ROW - 16) // 2), str(row.received), font, total_area
        )
    if hidden:
        note = f"and {hidden} more organisation(s): `prevnet report` lists them all"
        area = (MARGIN, height - MARGIN - footer, width - MARGIN, height - MARGIN)
        canvas.text(
            (MARGIN, area[1] + 4), fit(canvas.draw, note, small, area[2] - MARGIN), small, area
        )
    return _finish(canvas)


def _legend(canvas: _Canvas, font: Font, top: int, inner: Box) -> None:
    x = MARGIN
    for _, label, colour in SEGMENTS:
        canvas.draw.rectangle((x, top + 3, x + 12, top + 15), fill=colour)
        box = canvas.text((x + 16, top + 2), label, font, (x + 16, top, inner[2], top + 20))
        x = box[2] + 18


def _bar(
    canvas: _Canvas,
    row: OrganisationFigures,
    font: Font,
    origin: tuple[int, int],
    room: int,
    most: int,
) -> None:
    """One organisation's stacked bar; a segment's count is written in it when it fits."""
    x, top = origin
    done = 0
    for field, _, colour in SEGMENTS:
        count = int(getattr(row, field))
        if not count:
            continue
        left = x + round(room * done / most)
        done += count
        right = x + round(room * done / most)
        canvas.draw.rectangle((left, top, right - 1, top + BAR - 1), fill=colour)
        text = str(count)
        if _width(canvas.draw, text, font) + 6 <= right - left:
            canvas.text((left + 3, top + 3), text, font, (left, top, right, top + BAR), "#000000")


def _finish(canvas: _Canvas) -> Chart:
    buffer = io.BytesIO()
    canvas.image.save(buffer, format="PNG", optimize=True)
    return Chart(buffer.getvalue(), canvas.image.width, canvas.image.height, tuple(canvas.placed))
