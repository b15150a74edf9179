"""An incident file's dates: the whole column decides, and no day and month are ever swapped."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phenomena.errors import InvalidValue
from phenomena.incident_files.dates import (
    AmbiguousDates,
    DateReader,
    choose_reader,
    formats_like,
    time_format_named,
)
from phenomena.incident_files.problems import LineProblem


def column(*values: str) -> list[tuple[int, str]]:
    return list(enumerate(values, 2))


def test_one_month_first_value_decides_for_the_whole_column() -> None:
    reader = choose_reader(column("7/19/2017 13:45", "3/4/2017 08:00", "12/1/2017"), "date")
    assert [reader.read(v) for v in ("7/19/2017 13:45", "3/4/2017 08:00", "12/1/2017")] == [
        date(2017, 7, 19),
        date(2017, 3, 4),
        date(2017, 12, 1),
    ]


def test_one_day_first_value_decides_for_the_whole_column() -> None:
    reader = choose_reader(column("19/07/2017", "03/04/2017"), "date")
    assert reader.read("03/04/2017") == date(2017, 4, 3)


def test_a_column_that_reads_both_ways_is_refused_with_the_formats_to_give() -> None:
    with pytest.raises(AmbiguousDates) as refused:
        choose_reader(column("03/04/2017 13:45", "05/06/2017 08:00"), "when")
    message = str(refused.value)
    assert "column 'when'" in message
    assert "line 2: '03/04/2017 13:45' is 3 April 2017 or 4 March 2017" in message
    assert "--time-format '%d/%m/%Y %H:%M' (day first)" in message
    assert "--time-format '%m/%d/%Y %H:%M' (month first)" in message
    assert "nothing was imported" in message


def test_a_column_mixing_both_orders_is_refused() -> None:
    with pytest.raises(AmbiguousDates, match="mixes day-first dates \\(line 2: '19/7/2017'\\)"):
        choose_reader(column("19/7/2017", "7/19/2017"), "date")


def test_values_that_read_the_same_either_way_are_not_ambiguous() -> None:
    reader = choose_reader(column("5/5/2026", "2026-01-02", "11/11/2026"), "date")
    assert reader.read("11/11/2026") == date(2026, 11, 11)


def test_an_impossible_day_does_not_decide_the_order() -> None:
    reader = choose_reader(column("19/7/2017", "31/02/2017", "3/4/2017"), "date")
    assert reader.read("3/4/2017") == date(2017, 4, 3)
    with pytest.raises(LineProblem, match="'31/02/2017' is not a day of the calendar"):
        reader.read("31/02/2017")


def test_two_digit_years_need_a_time_format_and_read_with_one() -> None:
    with pytest.raises(LineProblem, match="two-digit year: give --time-format") as problem:
        DateReader().read("1/1/06 0:00")
    assert problem.value.reason == "the time has a two-digit year (give --time-format)"
    reader = choose_reader(column("1/1/06 0:00"), "date", "%m/%d/%y %H:%M")
    assert reader.read("12/31/06 23:59") == date(2006, 12, 31)
    with pytest.raises(LineProblem, match="does not match --time-format '%m/%d/%y %H:%M'"):
        reader.read("31/12/06 23:59")


def test_times_with_seconds_and_am_pm_are_read_and_their_format_given() -> None:
    assert DateReader(month_first=True).read("07/19/2017 01:45:00 PM") == date(2017, 7, 19)
    assert formats_like("07/19/2017 01:45:00 PM") == (
        "%d/%m/%Y %I:%M:%S %p",
        "%m/%d/%Y %I:%M:%S %p",
    )
    with pytest.raises(LineProblem, match="'19/07/2017 25:00' has no such time of day"):
        DateReader().read("19/07/2017 25:00")


def test_iso_and_year_first_dates_read_whatever_the_order() -> None:
    for reader in (DateReader(), DateReader(month_first=True)):
        assert reader.read("2026-11-14T15:30:00Z") == date(2026, 11, 14)
        assert reader.read("2026/11/14 15:30") == date(2026, 11, 14)
    with pytest.raises(LineProblem, match="'2026-13-01' is not a day"):
        DateReader().read("2026-13-01")


def test_a_time_format_must_give_a_whole_day() -> None:
    assert time_format_named("%m/%d/%y %H:%M") == "%m/%d/%y %H:%M"
    with pytest.raises(InvalidValue, match="needs a day, a month and a year"):
        time_format_named("%H:%M")


DAYS = st.dates(min_value=date(1970, 1, 1), max_value=date(2099, 12, 31))


@st.composite
def written_column(draw: st.DrawFn) -> tuple[list[date], list[str]]:
    days = draw(st.lists(DAYS, min_size=1, max_size=30))
    month_first = draw(st.booleans())
    sep = draw(st.sampled_from("/.-"))
    padded = draw(st.booleans())
    clock = draw(st.sampled_from(["", " 13:45", " 01:45:00 PM", "T08:05:09"]))
    pattern = "%02d" if padded else "%d"
    texts = []
    for day in days:
        first, second = (day.month, day.day) if month_first else (day.day, day.month)
        texts.append(f"{pattern % first}{sep}{pattern % second}{sep}{day.year}{clock}")
    return days, texts


@given(written_column())
def test_a_column_is_read_as_written_or_refused_never_swapped(
    case: tuple[list[date], list[str]],
) -> None:
    days, texts = case
    decisive = any(d.day > 12 for d in days)
    try:
        reader = choose_reader(column(*texts), "date")
    except AmbiguousDates:
        assert not decisive, "a column with a day above 12 says its order: it must be read"
        return
    assert [reader.read(t) for t in texts] == days
