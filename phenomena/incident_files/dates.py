"""Reading a file's date column as a whole, so that a day and a month are never swapped.

``7/19/2017`` can only be month first and ``19/7/2017`` only day first, but ``3/4/2017`` is
either. One value cannot say which; the column can. When every value reads both ways, nothing is
guessed: the import is refused with the ``--time-format`` to give.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from phenomena.errors import DomainError, InvalidValue
from phenomena.incident_files.problems import LineProblem

_TIME = (
    r"(?:[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d+)?)?"
    r"\s*(?P<ampm>[AaPp][Mm])?)?"
)
_NUMERIC = re.compile(
    r"^(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4})" + _TIME + "$"
)
_YEAR_FIRST = re.compile(
    r"^(?P<year>\d{4})(?P<sep>[/.])(?P<a>\d{1,2})(?P=sep)(?P<b>\d{1,2})" + _TIME + "$"
)
_TWO_DIGIT_YEAR = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}(?:\D|$)")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
NOT_A_DAY = "the time is not a day of the calendar"
NOT_A_TIME = "the time is not a date this import can read"
EMPTY = "the time is empty"
TWO_DIGIT_YEAR = "the time has a two-digit year (give --time-format)"


class AmbiguousDates(DomainError):
    """The date column can be read day first and month first: the user must say which."""


def _spoken(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _valid_clock(match: re.Match[str]) -> bool:
    if match["hour"] is None:
        return True
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    highest = 12 if match["ampm"] else 23
    lowest = 1 if match["ampm"] else 0
    return lowest <= hour <= highest and minute <= 59 and second <= 59


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _iso(value: str) -> date | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


@dataclass(frozen=True)
class Readings:
    """What one numeric value means read day first and month first (None: not a day)."""

    day_first: date | None
    month_first: date | None


def _numeric(value: str) -> Readings | None:
    """The two readings of ``a/b/yyyy`` (None when the value is not of that shape)."""
    match = _NUMERIC.match(value)
    if match is None:
        return None
    if not _valid_clock(match):
        return Readings(None, None)
    a, b, year = int(match["a"]), int(match["b"]), int(match["year"])
    return Readings(_day(year, b, a), _day(year, a, b))


def formats_like(value: str) -> tuple[str, str]:
    """The ``--time-format`` of a numeric value read day first, and read month first."""
    match = _NUMERIC.match(value)
    if match is None:
        return "%d/%m/%Y", "%m/%d/%Y"
    sep = match["sep"]
    clock = ""
    if match["hour"] is not None:
        between = value[match.end("year") : match.start("hour")]
        hours = "%I" if match["ampm"] else "%H"
        clock = f"{between}{hours}:%M"
        last = "minute"
        if match["second"] is not None:
            clock += ":%S"
            last = "second"
        if match["fraction"] is not None:
            clock += ".%f"
            last = "fraction"
        if match["ampm"]:
            clock += value[match.end(last) : match.start("ampm")] + "%p"
    return f"%d{sep}%m{sep}%Y{clock}", f"%m{sep}%d{sep}%Y{clock}"


def _advice(value: str) -> str:
    day_first, month_first = formats_like(value)
    return (
        f"say which with --time-format '{day_first}' (day first) or --time-format "
        f"'{month_first}' (month first), or time_format in the mapping file"
    )


@dataclass(frozen=True)
class DateReader:
    """How one file's times are read: a strptime format, or numeric dates in a known order."""

    time_format: str | None = None
    month_first: bool = False

    def read(self, text: str) -> date:
        """The day of one value, or LineProblem saying why it is not one."""
        value = text.strip()
        if not value:
            raise LineProblem(EMPTY)
        if self.time_format is not None:
            try:
                return datetime.strptime(value, self.time_format).date()
            except ValueError:
                found = _iso(value)
                if found is not None:
                    return found
                raise LineProblem(
                    f"the time does not match --time-format '{self.time_format}'",
                    f"{value!r} does not match --time-format '{self.time_format}'",
                ) from None
        found = _iso(value)
        if found is not None:
            return found
        numeric = _NUMERIC.match(value)
        if numeric is not None:
            if not _valid_clock(numeric):
                raise LineProblem(NOT_A_DAY, f"{value!r} has no such time of day")
            readings = _numeric(value)
            assert readings is not None
            day = readings.month_first if self.month_first else readings.day_first
            if day is None:
                order = "month first" if self.month_first else "day first"
                raise LineProblem(
                    NOT_A_DAY, f"{value!r} is not a day of the calendar (read {order})"
                )
            return day
        year_first = _YEAR_FIRST.match(value)
        if year_first is not None:
            day = _day(int(year_first["year"]), int(year_first["a"]), int(year_first["b"]))
            if day is None:
                raise LineProblem(NOT_A_DAY, f"{value!r} is not a day of the calendar")
            if not _valid_clock(year_first):
                raise LineProblem(NOT_A_DAY, f"{value!r} has no such time of day")
            return day
        if re.match(r"^\d{4}-\d{2}-\d{2}", value):
            raise LineProblem(NOT_A_DAY, f"{value!r} is not a day of the calendar")
        if _TWO_DIGIT_YEAR.match(value):
            raise LineProblem(
                TWO_DIGIT_YEAR,
                f"{value!r} has a two-digit year: give --time-format, such as '%m/%d/%y %H:%M' "
                "(month first) or '%d/%m/%y' (day first)",
            )
        raise LineProblem(
            NOT_A_TIME,
            f"{value!r} is not a time: write 2026-11-14, 2026-11-14T15:30 or 14/11/2026, or give "
            "--time-format (strptime syntax, such as '%d/%m/%Y %H:%M')",
        )


def choose_reader(
    values: Iterable[tuple[int, str]], column: str, time_format: str | None = None
) -> DateReader:
    """The reading of a whole column (line, value): the one that reads every readable value.

    Raises AmbiguousDates when both orders read every value with different days, or when the
    column mixes the two orders; then nothing should be imported.
    """
    if time_format is not None:
        return DateReader(time_format=time_format)
    only_day_first: tuple[int, str] | None = None
    only_month_first: tuple[int, str] | None = None
    both_differ: tuple[int, str, Readings] | None = None
    for line, text in values:
        value = text.strip()
        if not value or _iso(value) is not None:
            continue
        readings = _numeric(value)
        if readings is None:
            continue
        if readings.day_first and not readings.month_first:
            only_day_first = only_day_first or (line, value)
        elif readings.month_first and not readings.day_first:
            only_month_first = only_month_first or (line, value)
        elif readings.day_first and readings.month_first != readings.day_first:
            both_differ = both_differ or (line, value, readings)
    if only_day_first and only_month_first:
        (d_line, d_value), (m_line, m_value) = only_day_first, only_month_first
        raise AmbiguousDates(
            f"column {column!r} mixes day-first dates (line {d_line}: {d_value!r}) and "
            f"month-first dates (line {m_line}: {m_value!r}); nothing was imported: "
            f"{_advice(d_value)}; the lines of the other order will be rejected"
        )
    if only_month_first:
        return DateReader(month_first=True)
    if only_day_first or both_differ is None:
        return DateReader()
    line, value, readings = both_differ
    assert readings.day_first is not None
    assert readings.month_first is not None
    raise AmbiguousDates(
        f"every date in column {column!r} reads both day first and month first (line {line}: "
        f"{value!r} is {_spoken(readings.day_first)} or {_spoken(readings.month_first)}); "
        f"nothing was imported: {_advice(value)}"
    )


def time_format_named(text: str) -> str:
    """A strptime format that gives a whole day (a day, a month and a year), or InvalidValue."""
    has_day = "%d" in text or "%j" in text
    has_month = any(d in text for d in ("%m", "%b", "%B"))
    has_year = "%y" in text or "%Y" in text
    if not (has_day and (has_month or "%j" in text) and has_year):
        raise InvalidValue(
            f"time format {text!r} does not give a whole day: it needs a day, a month and a "
            "year, e.g. '%m/%d/%y %H:%M' or '%d/%m/%Y' (strptime syntax)"
        )
    try:
        datetime.strptime(datetime(2026, 11, 14, 15, 30).strftime(text), text)
    except ValueError as exc:
        raise InvalidValue(f"time format {text!r} cannot be read back: {exc}") from None
    return text
