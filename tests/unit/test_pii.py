"""The personal-data screen: what it flags, and what it leaves alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phenomena.pii import PersonalDataKind, screen_alert_fields, screen_personal_data


def kinds(text: str) -> list[tuple[PersonalDataKind, str]]:
    return [(f.kind, f.text) for f in screen_personal_data(text)]


@pytest.mark.parametrize(
    ("text", "kind", "found"),
    [
        ("NN 85.07.30-033.28 seen", PersonalDataKind.NATIONAL_NUMBER, "85.07.30-033.28"),
        ("nr 85073003328.", PersonalDataKind.NATIONAL_NUMBER, "85073003328"),
        ("born 2001: 01.02.03-123.45", PersonalDataKind.NATIONAL_NUMBER, "01.02.03-123.45"),
        ("call 0475 12 34 56 now", PersonalDataKind.PHONE, "0475 12 34 56"),
        ("tel +32 65 12 34 56", PersonalDataKind.PHONE, "+32 65 12 34 56"),
        ("tel 065/12.34.56", PersonalDataKind.PHONE, "065/12.34.56"),
        ("mail jean.dupont@example.be please", PersonalDataKind.EMAIL, "jean.dupont@example.be"),
        ("plate 1-ABC-123 grey Golf", PersonalDataKind.LICENCE_PLATE, "1-ABC-123"),
        ("old plate ABC 123", PersonalDataKind.LICENCE_PLATE, "ABC 123"),
        ("IBAN BE68 5390 0754 7034", PersonalDataKind.IBAN, "BE68 5390 0754 7034"),
        ("IBAN BE68539007547034", PersonalDataKind.IBAN, "BE68539007547034"),
    ],
)
def test_flags_personal_data(text: str, kind: PersonalDataKind, found: str) -> None:
    assert kinds(text) == [(kind, found)]


@pytest.mark.parametrize(
    "text",
    [
        "Wave of burglaries between 14:00 and 18:00 on 2026-11-14.",
        "Rear doors forced, 12 cases in 7 days, 250 m apart.",
        "Bad check digits: 85.07.30-033.29 and BE68 5390 0754 7035.",
        "TLP:AMBER zone 5324, NIS 53053.",
        "Mons (Bergen), Hyon and Nimy; call the police on 101 or 112.",
    ],
)
def test_leaves_ordinary_alert_text_alone(text: str) -> None:
    assert kinds(text) == []


def test_findings_are_ordered_and_located() -> None:
    text = "Write to a@b.be or call 0475123456; car 1-XYZ-999."
    findings = screen_personal_data(text)
    assert [f.kind for f in findings] == [
        PersonalDataKind.EMAIL,
        PersonalDataKind.PHONE,
        PersonalDataKind.LICENCE_PLATE,
    ]
    for f in findings:
        assert text[f.start : f.end] == f.text


def test_screen_by_field() -> None:
    found = screen_alert_fields({"summary": "ok", "modus": "van 1-ABC-123", "advice": None})
    assert list(found) == ["modus"]


@given(st.text(max_size=400))
def test_never_crashes_and_spans_are_true(text: str) -> None:
    for f in screen_personal_data(text):
        assert text[f.start : f.end] == f.text
