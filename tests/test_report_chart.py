"""The attention report's chart: a PNG of the expected size whose every text fits its place."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from PIL import Image

from phenomena.report import AttentionReport, OrganisationFigures
from prevnet.report_chart import HEADER, MARGIN, ROW, SEGMENTS, Chart, report_chart

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
LONG = (
    "Service public fédéral Intérieur, Direction générale Sécurité et Prévention, "
    "cellule Prévention de la criminalité"
)


def figures(
    key: str, name: str, hour: int, day: int, later: int, never: int
) -> OrganisationFigures:
    return OrganisationFigures(
        key=key,
        name=name,
        received=hour + day + later + never,
        seen_within_hour=hour,
        seen_within_day=day,
        seen_later=later,
        never_seen=never,
    )


def inside(box: tuple[int, int, int, int], area: tuple[int, int, int, int]) -> bool:
    return area[0] <= box[0] and area[1] <= box[1] and box[2] <= area[2] and box[3] <= area[3]


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def check_layout(chart: Chart) -> None:
    picture = Image.open(io.BytesIO(chart.png))
    assert picture.format == "PNG"
    assert picture.size == (chart.width, chart.height)
    whole = (0, 0, chart.width, chart.height)
    for label in chart.labels:
        assert inside(label.box, label.area), label
        assert inside(label.box, whole), label
    for i, a in enumerate(chart.labels):
        for b in chart.labels[i + 1 :]:
            assert not overlap(a.box, b.box), (a, b)


def test_one_bar_per_organisation_with_every_label_inside_its_place() -> None:
    rows = (
        figures("zp-mons", "ZP Mons/Quévy", 5, 2, 1, 0),
        figures("spf", LONG, 0, 0, 1, 3),
        figures("zp-boraine", "ZP Boraine", 0, 0, 0, 2),
    )
    chart = report_chart(AttentionReport(START, END, 9, rows))
    assert chart.width == 960
    assert chart.height == HEADER + 3 * ROW + MARGIN
    check_layout(chart)
    texts = [label.text for label in chart.labels]
    assert texts[0] == "Alerts received and how soon they were seen, 01/11/2026 to 30/11/2026"
    assert [label for _, label, _ in SEGMENTS] == texts[1:5]  # the legend
    assert "ZP Mons/Quévy" in texts and "ZP Boraine" in texts
    shortened = [t for t in texts if t.startswith("Service public fédéral")]
    assert len(shortened) == 1 and shortened[0].endswith("…") and len(shortened[0]) < len(LONG)
    assert "8" in texts and "4" in texts  # totals at the end of the bars
    # the colours of the segments are drawn: Mons's first segment is green
    picture = Image.open(io.BytesIO(chart.png)).convert("RGB")
    mons = next(label for label in chart.labels if label.text == "ZP Mons/Quévy")
    row_middle = (mons.area[1] + mons.area[3]) // 2
    greens = {picture.getpixel((x, row_middle)) for x in range(mons.area[2], chart.width)}
    assert (0x1A, 0x98, 0x50) in greens


def test_many_organisations_show_the_busiest_and_say_how_many_more() -> None:
    rows = tuple(
        figures(f"pcs-{n:03}", f"PLP Commune {n:03}", n % 3, 1, 0, n % 2) for n in range(40)
    )
    ordered = tuple(sorted(rows, key=lambda r: -r.received))
    chart = report_chart(AttentionReport(START, END, 40, ordered), shown=25)
    assert chart.height == HEADER + 25 * ROW + 24 + MARGIN
    check_layout(chart)
    assert chart.labels[-1].text == "and 15 more organisation(s): `prevnet report` lists them all"


def test_an_empty_period_says_so() -> None:
    chart = report_chart(AttentionReport(START, END, 0, ()))
    check_layout(chart)
    assert chart.labels[-1].text == "No alert was received in this period."
