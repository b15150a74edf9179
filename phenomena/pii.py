"""A screen for personal data in the free text of alerts, so the author can confirm or remove it.

Alerts describe phenomena, not people: a national register number, a phone number, an e-mail
address, a licence plate or an IBAN in an alert is most often a mistake. The screen flags them;
it does not decide. Check digits (national register number, IBAN) keep false alarms down.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class PersonalDataKind(enum.Enum):
    """The kinds of personal data the screen recognises."""

    NATIONAL_NUMBER = "national register number"
    IBAN = "IBAN"
    EMAIL = "e-mail address"
    PHONE = "phone number"
    LICENCE_PLATE = "licence plate"


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: what it looks like, what it is and where it stands."""

    kind: PersonalDataKind
    text: str
    start: int
    end: int


_NATIONAL = re.compile(
    r"(?<![\d.\-])(\d{2})\.?(\d{2})\.?(\d{2})[\s.\-]?(\d{3})[\s.\-]?(\d{2})(?![\d])"
)
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30})\b")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(
    r"(?<![\w+])(?<!\d[\s./\-])(?:(?:\+|00)\d{2,3}[\s./\-]?(?:\(0\)[\s./\-]?)?\d(?:[\s./\-]?\d){6,10}"
    r"|0\d(?:[\s./\-]?\d){7,8})(?![\w])"
)
_PLATE = re.compile(
    r"\b(?:[1-9][\s.\-]?[A-Z]{3}[\s.\-]?\d{3}|[A-Z]{3}[\s.\-]?\d{3}|\d{3}[\s.\-]?[A-Z]{3})\b"
)


def _valid_national(match: re.Match[str]) -> bool:
    digits = "".join(match.groups())
    body, check = int(digits[:9]), int(digits[9:])
    month, day = int(digits[2:4]), int(digits[4:6])
    if month > 12 + 40 or day > 31:  # bis numbers add 20 or 40 to the month
        return False
    return check in (97 - body % 97, 97 - (2_000_000_000 + body) % 97)


def _valid_iban(text: str) -> bool:
    compact = text.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def screen_personal_data(text: str) -> tuple[Finding, ...]:
    """Every piece of personal data found in ``text``, in order; overlaps resolved by priority."""
    found: list[Finding] = []

    def claim(kind: PersonalDataKind, start: int, end: int) -> None:
        if any(f.start < end and start < f.end for f in found):
            return
        found.append(Finding(kind, text[start:end], start, end))

    for m in _NATIONAL.finditer(text):
        if _valid_national(m):
            claim(PersonalDataKind.NATIONAL_NUMBER, m.start(), m.end())
    for m in _IBAN.finditer(text):
        if _valid_iban(m.group(1)):
            claim(PersonalDataKind.IBAN, m.start(), m.end())
    for m in _EMAIL.finditer(text):
        claim(PersonalDataKind.EMAIL, m.start(), m.end())
    for m in _PHONE.finditer(text):
        claim(PersonalDataKind.PHONE, m.start(), m.end())
    for m in _PLATE.finditer(text):
        claim(PersonalDataKind.LICENCE_PLATE, m.start(), m.end())
    return tuple(sorted(found, key=lambda f: f.start))


def screen_alert_fields(fields: dict[str, str | None]) -> dict[str, tuple[Finding, ...]]:
    """Screen each free-text field of an alert; only fields with findings are returned."""
    out: dict[str, tuple[Finding, ...]] = {}
    for name, value in fields.items():
        if value:
            findings = screen_personal_data(value)
            if findings:
                out[name] = findings
    return out
