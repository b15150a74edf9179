"""The duty rota's rules: areas and times as people write them, checked entries, overlaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from phenomena.duty import (
    DutyArea,
    DutyPeriod,
    RotaEntry,
    area_of_room,
    check_entries,
    default_take_end,
    find_overlaps,
    on_duty,
    parse_area,
    parse_time,
    parse_until,
    predecessor,
    take_duty,
)
from phenomena.errors import DocumentErrors, InvalidValue, PermissionDenied
from phenomena.partners import Member, MemberStatus, Role
from phenomena.territory import TerritoryRegistry

BRUSSELS = ZoneInfo("Europe/Brussels")
SERVER = "prevnet.test"
CLAIRE = f"@claire:{SERVER}"
MARC = f"@marc:{SERVER}"


def member(matrix_id: str, *roles: Role, status: MemberStatus = MemberStatus.ACTIVE) -> Member:
    return Member(
        matrix_id, matrix_id[1:].split(":")[0].title(), "zp", frozenset(roles), None, status
    )


MEMBERS = {
    CLAIRE: member(CLAIRE, Role.AUTHOR),
    MARC: member(MARC, Role.MEMBER),
    f"@gone:{SERVER}": member(f"@gone:{SERVER}", Role.AUTHOR, status=MemberStatus.SUSPENDED),
}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def period(
    who: str, start: str, end: str, area: str = "5324", pid: int | None = None
) -> DutyPeriod:
    return DutyPeriod("zone", area, who, utc(start), utc(end), "cli:test", id=pid)


def test_areas_are_read_as_people_write_them(territories: TerritoryRegistry) -> None:
    assert parse_area("5324", territories) == DutyArea("zone", "5324")
    assert parse_area("zone 5324", territories) == DutyArea("zone", "5324")
    assert parse_area("zone:5324", territories).room_key == "zone:5324"
    assert parse_area("Hainaut", territories) == DutyArea("province", "50000")
    assert parse_area("provincie Henegouwen", territories) == DutyArea("province", "50000")
    assert (
        parse_area("province 50000", territories)
        .label(territories)
        .startswith("Province du Hainaut")
    )
    assert "Mons" in parse_area("5324", territories).label(territories)


def test_an_unknown_area_is_refused_with_what_to_write(territories: TerritoryRegistry) -> None:
    with pytest.raises(InvalidValue, match="no police zone or province 'Atlantis'") as raised:
        parse_area("Atlantis", territories)
    assert "zone 5324" in str(raised.value) and "Hainaut" in str(raised.value)
    with pytest.raises(InvalidValue, match="no police zone '9999'"):
        parse_area("zone 9999", territories)
    with pytest.raises(InvalidValue, match="no province"):
        parse_area("province 5324", territories)  # a zone's number is no province


def test_only_zone_and_province_rooms_have_an_area() -> None:
    assert area_of_room("zone:5324") == DutyArea("zone", "5324")
    assert area_of_room("province:50000") == DutyArea("province", "50000")
    for other in ("moderation", "toolbox", "dm:@a:x", "alert:3", None):
        assert area_of_room(other) is None


def test_times_are_read_in_the_network_time_zone() -> None:
    winter = parse_time("2026-12-05 18:00", BRUSSELS)
    assert winter == utc("2026-12-05T17:00")
    assert parse_time("2026-07-05 18:00", BRUSSELS) == utc("2026-07-05T16:00")  # summer time
    assert parse_time("05/12/2026 18:00", BRUSSELS) == winter
    assert parse_time("2026-12-05T18:00+01:00", BRUSSELS) == winter
    assert parse_time("2026-12-05T17:00Z", BRUSSELS) == winter
    assert parse_time("2026-12-05", BRUSSELS) == utc("2026-12-04T23:00")
    with pytest.raises(InvalidValue, match="is not a time: write it as 2026-12-05 18:00"):
        parse_time("next friday", BRUSSELS)


def test_a_period_that_ends_before_it_starts_cannot_exist() -> None:
    with pytest.raises(InvalidValue, match="before it starts"):
        period(CLAIRE, "2026-12-05T18:00", "2026-12-05T08:00")


def test_checked_entries_become_periods(territories: TerritoryRegistry) -> None:
    entries = [
        RotaEntry("zone 5324", CLAIRE, "2026-12-05 18:00", "2026-12-06 08:00"),
        RotaEntry("Hainaut", MARC, "2026-12-05 08:00", "2026-12-05 18:00"),
    ]
    periods = check_entries(
        entries, territories, MEMBERS, SERVER, BRUSSELS, set_by="cli:t", source="import"
    )
    assert [(p.scope, p.area, p.member) for p in periods] == [
        ("zone", "5324", CLAIRE),
        ("province", "50000", MARC),
    ]
    assert periods[0].starts_at == utc("2026-12-05T17:00")
    assert periods[0].source == "import" and periods[0].set_by == "cli:t"


def test_every_problem_of_every_bad_entry_is_named(territories: TerritoryRegistry) -> None:
    entries = [
        RotaEntry("zone 5324", CLAIRE, "2026-12-05 18:00", "2026-12-06 08:00", 3, "entry 1"),
        RotaEntry("Atlantis", f"@nobody:{SERVER}", "2026-12-05", "soon", 8, "entry 2"),
        RotaEntry("5324", "@claire:evil.example", "2026-12-06", "2026-12-05", 13, "entry 3"),
        RotaEntry("5324", f"@gone:{SERVER}", "2026-12-06", "2026-12-07", 18, "entry 4"),
    ]
    with pytest.raises(DocumentErrors) as raised:
        check_entries(entries, territories, MEMBERS, SERVER, BRUSSELS, set_by="t", source="import")
    text = str(raised.value)
    assert "has 3 error(s); nothing was changed" in text
    assert "line 3" not in text  # the good entry is not named
    line8 = next(e.message for e in raised.value.errors if e.line == 8)
    assert line8.startswith("entry 2: ")
    assert "no police zone or province 'Atlantis'" in line8
    assert f"@nobody:{SERVER} is not a member of the network" in line8 and "member add" in line8
    assert "to: 'soon' is not a time" in line8
    line13 = next(e.message for e in raised.value.errors if e.line == 13)
    assert "is on another server; prevnet serves prevnet.test" in line13
    assert f"use @claire:{SERVER}" in line13 and "before it starts" in line13
    line18 = next(e.message for e in raised.value.errors if e.line == 18)
    assert "is suspended" in line18 and "reinstate" in line18


def test_overlaps_name_both_entries_and_the_shared_time() -> None:
    stored = [period(CLAIRE, "2026-12-05T17:00", "2026-12-06T07:00", pid=7)]
    new = [
        ("entry 1 (line 2)", period(MARC, "2026-12-06T05:00", "2026-12-06T17:00")),
        ("entry 2 (line 6)", period(MARC, "2026-12-06T16:00", "2026-12-06T20:00")),
        ("entry 3 (line 10)", period(MARC, "2026-12-06T07:00", "2026-12-06T09:00", "5327")),
        ("entry 4 (line 14)", period(CLAIRE, "2026-12-05T17:00", "2026-12-06T07:00")),  # the same
    ]
    found = find_overlaps(new, stored)
    messages = [o.message(BRUSSELS) for o in found]
    assert len(messages) == 3, messages
    assert messages[0].startswith(f"entry 1 (line 2) ({MARC}, 2026-12-06 06:00 - 2026-12-06 18:00)")
    assert f"overlaps #7 ({CLAIRE}, 2026-12-05 18:00 - 2026-12-06 08:00)" in messages[0]
    assert "both are on duty from 2026-12-06 06:00 to 2026-12-06 08:00" in messages[0]
    assert messages[1].startswith("entry 2 (line 6)") and "overlaps entry 1 (line 2)" in messages[1]
    assert messages[2].startswith("entry 4 (line 14)") and "overlaps entry 1" in messages[2]
    # back to back is no overlap, nor another zone
    assert not period(MARC, "2026-12-06T07:00", "2026-12-06T09:00").overlaps(stored[0])


def test_who_is_on_duty_and_who_handed_over() -> None:
    periods = [
        period(CLAIRE, "2026-12-05T17:00", "2026-12-06T07:00", pid=1),
        period(MARC, "2026-12-06T07:00", "2026-12-06T17:00", pid=2),
        period(MARC, "2026-12-05T00:00", "2026-12-09T00:00", "5327", pid=3),
    ]
    at = utc("2026-12-06T06:59")
    assert [p.id for p in on_duty(periods, "zone", ["5324"], at)] == [1]
    assert [p.id for p in on_duty(periods, "zone", ["5324", "5327"], at)] == [1, 3]
    assert [p.id for p in on_duty(periods, "zone", ["5324"], utc("2026-12-06T07:00"))] == [2]
    assert on_duty(periods, "province", ["5324"], at) == []
    assert predecessor(periods[1], periods) == periods[0]
    assert predecessor(periods[0], periods) is None


def test_duty_taken_in_chat(territories: TerritoryRegistry) -> None:
    area = DutyArea("zone", "5324")
    now = utc("2026-12-05T10:00")  # 11:00 in Brussels
    taken = take_duty(MEMBERS[CLAIRE], area, now, None, BRUSSELS)
    assert taken.ends_at == utc("2026-12-05T23:00")  # midnight, Brussels
    assert taken.source == "take" and taken.set_by == CLAIRE
    late = utc("2026-12-05T20:30")  # 21:30 in Brussels: until 08:00 tomorrow
    assert default_take_end(late, BRUSSELS) == utc("2026-12-06T07:00")
    small_hours = utc("2026-12-06T01:30")  # 02:30 in Brussels: until 08:00 this morning
    assert default_take_end(small_hours, BRUSSELS) == utc("2026-12-06T07:00")
    assert parse_until("18:00", now, BRUSSELS) == utc("2026-12-05T17:00")
    assert parse_until("08:00", now, BRUSSELS) == utc("2026-12-06T07:00")  # tomorrow's
    assert parse_until("8h", now, BRUSSELS) == now + timedelta(hours=8)
    assert parse_until("2026-12-06 08:00", now, BRUSSELS) == utc("2026-12-06T07:00")
    with pytest.raises(InvalidValue, match=r"time of day \(18:00\), a length \(8h"):
        parse_until("whenever", now, BRUSSELS)
    with pytest.raises(PermissionDenied, match="author or moderator role"):
        take_duty(MEMBERS[MARC], area, now, None, BRUSSELS)
    with pytest.raises(InvalidValue, match="at most 7 days"):
        take_duty(MEMBERS[CLAIRE], area, now, now + timedelta(days=8), BRUSSELS)
    with pytest.raises(InvalidValue, match="has already passed"):
        take_duty(MEMBERS[CLAIRE], area, now, now - timedelta(hours=1), BRUSSELS)
