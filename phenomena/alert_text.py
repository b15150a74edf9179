"""The plain ``key: value`` text format of alerts, typed in chat and checked on the command line.

Example::

    type: residential-burglary
    area: Mons, Quévy
    from: 2026-11-14
    to: 2026-11-20
    tlp: amber
    summary: Wave of burglaries in Hyon and Nimy, rear doors forced in daylight.
    modus: Rear door forced with a screwdriver between 14:00 and 18:00.
    advice: Lock rear doors and windows even when leaving for a short while.

Field names may also be written in French, Dutch or German (``du``/``van``/``von`` for ``from``).
``recipients`` (``destinataires``, ``ontvangers``, ``empfänger``) names organisations by key, comma
separated, that a TLP:RED alert's own room is also made for (``to`` is the period's last day).
``priority`` (``priorité``, ``prioriteit``, ``Priorität``) is urgent, normal (the default) or info.
The field names themselves are in ``phenomena.alert_fields``.
A value continues on following lines that are indented, or that hold no ``name:`` prefix.
Parsing never raises anything but DocumentErrors, which lists every problem with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from phenomena.alert import AlertContent
from phenomena.alert_fields import ALIASES
from phenomena.alert_fields import FIELD_ORDER as FIELD_ORDER  # what guided entry imports
from phenomena.alert_fields import FIELDS as FIELDS
from phenomena.alert_fields import HINTS as HINTS
from phenomena.alert_fields import REQUIRED as REQUIRED
from phenomena.errors import DocumentErrors, DomainError, LineError
from phenomena.priority import Priority
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.text import fold
from phenomena.tlp import Tlp

MAX_TEXT = 100_000
"""Beyond any chat message: longer text is refused unread (the fields' own limits are lower)."""
MAX_RECIPIENTS = 30
MAX_PERIOD_DAYS = 366
MAX_MUNICIPALITIES = 100
_MAX_LENGTH = {"summary": 2_000, "modus": 4_000, "advice": 4_000}

_T = TypeVar("_T")
# A field name starts with a letter, so '14:00 they came back' or 'https://...' continue a value.
_FIELD_LINE = re.compile(r"^(?P<key>[^\W\d_][^:]{0,39}?)\s*:(?!//)(?P<value>.*)$")
_LOOKS_LIKE_KEY = re.compile(r"^[^\s:]\S*(?:\s\S+){0,2}$")


@dataclass(frozen=True)
class RawField:
    """A field as written: where it starts and its text, continuation lines joined."""

    line: int
    value: str


def read_fields(text: str) -> tuple[dict[str, RawField], list[LineError]]:
    """Split alert text into fields by name; syntax errors only (no lookups)."""
    errors: list[LineError] = []
    fields: dict[str, RawField] = {}
    if len(text) > MAX_TEXT:
        return fields, [
            LineError(
                None,
                f"the alert is {len(text)} characters long, more than the {MAX_TEXT} read: "
                "shorten its summary, modus and advice",
            )
        ]
    current: str | None = None
    parts: dict[str, list[str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or (stripped.startswith("#") and current is None):
            continue
        indented = line[:1].isspace()
        match = None if indented else _FIELD_LINE.match(line)
        if match is not None:
            key = fold(match.group("key"))
            canonical = ALIASES.get(key)
            if canonical is not None:
                if canonical in fields:
                    first = fields[canonical].line
                    errors.append(
                        LineError(
                            number,
                            f"'{canonical}' is given twice (first on line {first}); keep one",
                            canonical,
                        )
                    )
                    current = None
                    continue
                fields[canonical] = RawField(number, "")
                parts[canonical] = [match.group("value").strip()]
                current = canonical
                continue
            if _LOOKS_LIKE_KEY.match(match.group("key").strip()):
                errors.append(
                    LineError(
                        number,
                        f"unknown field '{match.group('key').strip()}': the fields are "
                        + ", ".join(FIELDS)
                        + " (indent a line to continue the previous field)",
                    )
                )
                current = None
                continue
        if current is None:
            errors.append(
                LineError(
                    number,
                    "expected a 'field: value' line such as 'type: residential-burglary'",
                )
            )
            continue
        parts[current].append(stripped)
    for name, raw_field in fields.items():
        value = "\n".join(p for p in parts[name] if p)
        fields[name] = RawField(raw_field.line, value)
    return fields, errors


def parse_alert_text(
    text: str, territories: TerritoryRegistry, *, today: date | None = None
) -> AlertContent:
    """Read alert text into content, or raise DocumentErrors listing every problem by line.

    ``today`` lets people write 'today' (or aujourd'hui, vandaag, heute) as a date.
    """
    fields, errors = read_fields(text)
    if len(text) > MAX_TEXT:  # unread: what is missing in it is not known
        raise DocumentErrors(errors, "the alert")
    last_line = max(len(text.splitlines()), 1)
    for name in REQUIRED:
        if name not in fields and not any(e.field == name for e in errors):
            errors.append(
                LineError(None, f"'{name}' is missing: write '{name}: ' and {HINTS[name]}", name)
            )
    values: dict[str, object] = {}
    for name, raw in fields.items():
        if not raw.value:
            errors.append(LineError(raw.line, f"'{name}' is empty: write {HINTS[name]}", name))
            continue
        try:
            values[name] = _convert(name, raw.value, territories, today)
        except DomainError as exc:
            errors.append(LineError(raw.line, f"{name}: {exc}", name))
    start, end = values.get("from"), values.get("to")
    if isinstance(start, date) and isinstance(end, date):
        if end < start:
            errors.append(
                LineError(fields["to"].line, "'to' is before 'from': swap the two dates", "to")
            )
        elif (end - start).days >= MAX_PERIOD_DAYS:
            errors.append(
                LineError(
                    fields["to"].line,
                    f"the period is longer than {MAX_PERIOD_DAYS} days: split it into alerts",
                    "to",
                )
            )
    if errors:
        errors.sort(key=lambda e: e.line if e.line is not None else last_line + 1)
        raise DocumentErrors(errors, "the alert")
    return AlertContent(
        type=_as(values["type"], PhenomenonType),
        municipalities=_as(values["area"], tuple),
        period_start=_as(values["from"], date),
        period_end=_as(values["to"], date) if "to" in values else None,
        tlp=_as(values["tlp"], Tlp),
        summary=_as(values["summary"], str),
        modus=_as(values["modus"], str) if "modus" in values else None,
        advice=_as(values["advice"], str) if "advice" in values else None,
        recipients=_as(values["recipients"], tuple) if "recipients" in values else (),
        priority=_as(values["priority"], Priority) if "priority" in values else Priority.NORMAL,
    )


def check_field(
    name: str, value: str, territories: TerritoryRegistry, today: date | None = None
) -> None:
    """Check one field's value on its own (for guided entry); raises DomainError."""
    if name not in FIELD_ORDER:
        raise _Invalid(f"unknown field {name!r}")
    if not value.strip():
        raise _Invalid(f"'{name}' is empty: write {HINTS[name]}")
    _convert(name, value.strip(), territories, today)


def merge_fields(base: str, changes: str) -> tuple[str, list[LineError]]:
    """Apply ``field: value`` lines to an alert's canonical text (for updates).

    Returns the merged text and the syntax errors of ``changes`` (line numbers of ``changes``).
    """
    current, _ = read_fields(base)
    new, errors = read_fields(changes)
    values = {name: raw.value for name, raw in current.items()}
    values.update({name: raw.value for name, raw in new.items()})
    lines: list[str] = []
    for name in FIELDS:
        if values.get(name):
            first, *rest = values[name].split("\n")
            lines.append(f"{name}: {first}")
            lines.extend(f"  {r}" for r in rest)
    return "\n".join(lines) + "\n", errors


def _as(value: object, kind: type[_T]) -> _T:
    if not isinstance(value, kind):  # pragma: no cover - guarded by the error checks above
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _convert(name: str, value: str, territories: TerritoryRegistry, today: date | None) -> object:
    if name == "type":
        return PhenomenonType.parse(value)
    if name == "tlp":
        return Tlp.parse(value)
    if name == "priority":
        return Priority.parse(value)
    if name == "area":
        return parse_area(value, territories)
    if name in ("from", "to"):
        return parse_date(value, today)
    if name == "recipients":
        return parse_recipients(value)
    limit = _MAX_LENGTH[name]
    if len(value) > limit:
        raise _Invalid(
            f"{len(value)} characters, longer than the {limit} allowed: "
            f"shorten it by {len(value) - limit}"
        )
    return value


def parse_recipients(value: str) -> tuple[str, ...]:
    """Organisation keys separated by commas (whether they exist is checked on the registry)."""
    keys: list[str] = []
    for word in re.split(r"[,;\s]+", value):
        key = word.strip().lower()
        if not key:
            continue
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", key):
            raise _Invalid(
                f"{word!r} is not an organisation key (e.g. zp-boraine); "
                "!alert recipients lists them"
            )
        if key not in keys:
            keys.append(key)
    if len(keys) > MAX_RECIPIENTS:
        raise _Invalid(f"more than {MAX_RECIPIENTS} organisations: name fewer")
    return tuple(keys)


class _Invalid(DomainError):
    pass


def parse_area(value: str, territories: TerritoryRegistry) -> tuple[str, ...]:
    """Municipalities separated by commas, semicolons or lines, as NIS codes in given order."""
    names = [n.strip() for n in re.split(r"[,;\n]", value) if n.strip()]
    if len(names) > MAX_MUNICIPALITIES:
        raise _Invalid(
            f"more than {MAX_MUNICIPALITIES} municipalities: split the alert by province"
        )
    found: list[str] = []
    problems: list[str] = []
    for name in names:
        try:
            nis = territories.find_municipality(name).nis
        except DomainError as exc:
            problems.append(str(exc))
            continue
        if nis not in found:
            found.append(nis)
    if problems:
        raise _Invalid("; ".join(problems))
    if not found:
        raise _Invalid(HINTS["area"])
    return tuple(found)


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_TODAY = {"today", "aujourd hui", "vandaag", "heute"}
_TOMORROW = {"tomorrow", "demain", "morgen"}
_YESTERDAY = {"yesterday", "hier", "gisteren", "gestern"}


def parse_date(value: str, today: date | None = None) -> date:
    """A day written as YYYY-MM-DD, DD/MM/YYYY, DD-MM-YYYY or DD.MM.YYYY (Belgian day-first)."""
    text = value.strip()
    word = fold(text)
    if today is not None:
        if word in _TODAY:
            return today
        if word in _TOMORROW:
            return today + timedelta(days=1)
        if word in _YESTERDAY:
            return today - timedelta(days=1)
    iso, dmy = _ISO.match(text), _DMY.match(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif dmy:
        day, month, year = (int(g) for g in dmy.groups())
    else:
        raise _Invalid(f"{text!r} is not a date: write it as YYYY-MM-DD or DD/MM/YYYY")
    if not 2000 <= year <= 2100:
        raise _Invalid(f"{text!r}: the year {year} is out of range")
    try:
        return date(year, month, day)
    except ValueError:
        raise _Invalid(f"{text!r} is not a day of the calendar") from None


def format_alert_text(content: AlertContent, territories: TerritoryRegistry) -> str:
    """The canonical text of an alert: parsing it again gives the same content."""
    area = ", ".join(territories.municipalities[n].own_name for n in content.municipalities)
    values = {
        "type": content.type.value,
        "area": area,
        "from": content.period_start.isoformat(),
        "to": content.period_end.isoformat() if content.period_end else None,
        "tlp": content.tlp.value,
        "summary": content.summary,
        "modus": content.modus,
        "advice": content.advice,
        "recipients": ", ".join(content.recipients) or None,
        # normal is what no line says: the canonical text of older alerts stays as it was
        "priority": None if content.priority is Priority.NORMAL else content.priority.value,
    }
    lines: list[str] = []
    for name in FIELDS:
        value = values[name]
        if value is None:
            continue
        first, *rest = value.split("\n")
        lines.append(f"{name}: {first}")
        lines.extend(f"  {r}" for r in rest)
    return "\n".join(lines) + "\n"
