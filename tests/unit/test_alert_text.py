"""The alert text format: the issue's example, every error with its line, and a fuzz."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phenomena.alert import AlertContent
from phenomena.alert_text import format_alert_text, parse_alert_text, parse_date
from phenomena.errors import DocumentErrors, DomainError
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp

EXAMPLE = """\
type: residential-burglary
area: Mons, Quévy
from: 2026-11-14
to: 2026-11-20
tlp: amber
summary: Wave of burglaries in Hyon and Nimy, rear doors forced in daylight.
modus: Rear door forced with a screwdriver between 14:00 and 18:00.
advice: Lock rear doors and windows even when leaving for a short while.
"""


def errors_of(text: str, territories: TerritoryRegistry) -> list[tuple[int | None, str]]:
    with pytest.raises(DocumentErrors) as caught:
        parse_alert_text(text, territories)
    return [(e.line, e.message) for e in caught.value.errors]


def test_the_example_alert(territories: TerritoryRegistry) -> None:
    content = parse_alert_text(EXAMPLE, territories)
    assert content == AlertContent(
        type=PhenomenonType.RESIDENTIAL_BURGLARY,
        municipalities=("53053", "53084"),
        period_start=date(2026, 11, 14),
        period_end=date(2026, 11, 20),
        tlp=Tlp.AMBER,
        summary="Wave of burglaries in Hyon and Nimy, rear doors forced in daylight.",
        modus="Rear door forced with a screwdriver between 14:00 and 18:00.",
        advice="Lock rear doors and windows even when leaving for a short while.",
    )


def test_field_names_in_french_and_belgian_dates(territories: TerritoryRegistry) -> None:
    text = (
        "Type: Cambriolage d'habitation\nCommunes: Bergen; quevy\nDu: 14/11/2026\nAu: 20.11.2026\n"
        "TLP: TLP:AMBER\nRésumé: Vague de cambriolages.\nConseils: Fermez les portes.\n"
    )
    content = parse_alert_text(text, territories)
    assert content.municipalities == ("53053", "53084")
    assert content.period_end == date(2026, 11, 20)
    assert content.advice == "Fermez les portes."


def test_continuation_lines_and_times(territories: TerritoryRegistry) -> None:
    text = EXAMPLE.replace(
        "modus: Rear door forced with a screwdriver between 14:00 and 18:00.\n",
        "modus: Rear door forced with a screwdriver.\n  Seen between\n14:00 and 18:00, see https://example.org\n",
    )
    content = parse_alert_text(text, territories)
    assert content.modus == (
        "Rear door forced with a screwdriver.\nSeen between\n14:00 and 18:00, see https://example.org"
    )


def test_every_error_with_its_line(territories: TerritoryRegistry) -> None:
    text = (
        "type: burglery of cars\narea: Mons, Monss\nfrom: 2026-11-31\ntlp: orange\ncolour: blue\n"
    )
    errors = errors_of(text, territories)
    lines = [line for line, _ in errors]
    assert lines == [1, 2, 3, 4, 5, None]
    messages = dict(errors)
    assert "unknown phenomenon type" in messages[1]
    assert "Monss" in messages[2] and "Mons (Bergen)" in messages[2]
    assert "not a day of the calendar" in messages[3]
    assert "clear, green, amber" in messages[4]
    assert "unknown field 'colour'" in messages[5]
    assert "'summary' is missing" in messages[None]


def test_period_checks(territories: TerritoryRegistry) -> None:
    swapped = EXAMPLE.replace("to: 2026-11-20", "to: 2026-11-01")
    assert errors_of(swapped, territories) == [(4, "'to' is before 'from': swap the two dates")]
    long = EXAMPLE.replace("to: 2026-11-20", "to: 2028-11-20")
    assert "longer than 366 days" in errors_of(long, territories)[0][1]


def test_duplicate_and_empty_fields(territories: TerritoryRegistry) -> None:
    text = EXAMPLE + "tlp: red\nadvice:\n"
    errors = errors_of(text, territories)
    assert (9, "'tlp' is given twice (first on line 5); keep one") in errors
    assert any(line == 10 for line, _ in errors) or any("given twice" in m for _, m in errors)


def test_text_before_any_field(territories: TerritoryRegistry) -> None:
    errors = errors_of("Hello bot\n" + EXAMPLE, territories)
    assert errors[0][0] == 1
    assert "field: value" in errors[0][1]


def test_relative_dates_need_today(territories: TerritoryRegistry) -> None:
    text = EXAMPLE.replace("from: 2026-11-14", "from: aujourd'hui").replace("to: 2026-11-20\n", "")
    assert parse_alert_text(text, territories, today=date(2026, 11, 22)).period_start == date(
        2026, 11, 22
    )
    with pytest.raises(DocumentErrors):
        parse_alert_text(text, territories)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-11-14", date(2026, 11, 14)),
        ("14/11/2026", date(2026, 11, 14)),
        ("1.2.2026", date(2026, 2, 1)),
        ("14-11-2026", date(2026, 11, 14)),
    ],
)
def test_date_forms(text: str, day: date) -> None:
    assert parse_date(text) == day


def test_canonical_text_parses_back_to_the_same_alert(territories: TerritoryRegistry) -> None:
    content = parse_alert_text(EXAMPLE.replace("Mons", "Bergen, Eupen, Gent"), territories)
    again = parse_alert_text(format_alert_text(content, territories), territories)
    assert again == content


_FIELD_NAMES = st.sampled_from(
    ["type", "area", "from", "to", "tlp", "summary", "modus", "advice", "du", "x", "  ", "#"]
)
_VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["Mons", "Quévy, Gent", "2026-11-14", "31/02/2026", "amber", "red", "vandalism"]
    ),
)
_LINES = st.one_of(
    st.tuples(_FIELD_NAMES, _VALUES).map(lambda kv: f"{kv[0]}: {kv[1]}"),
    st.text(max_size=60),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINES, max_size=14).map("\n".join))
def test_any_text_gives_an_alert_or_line_errors(territories: TerritoryRegistry, text: str) -> None:
    try:
        content = parse_alert_text(text, territories, today=date(2026, 11, 22))
    except DocumentErrors as exc:
        assert exc.errors
        n_lines = len(text.splitlines())
        for error in exc.errors:
            assert error.line is None or 1 <= error.line <= n_lines
            assert error.message
    except DomainError as exc:  # pragma: no cover - would be a bug: only DocumentErrors allowed
        pytest.fail(f"parser raised {type(exc).__name__} instead of DocumentErrors: {exc}")
    else:
        assert content.municipalities and content.summary


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_unicode_never_crashes(territories: TerritoryRegistry, text: str) -> None:
    with contextlib.suppress(DocumentErrors):
        parse_alert_text(text, territories)
