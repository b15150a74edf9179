"""``prevnet duty set|import|list|remove``: the rota from the command line, files all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from icalendar import Calendar, Event, vCalAddress

from prevnet.cli import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "config" / "examples"
CLAIRE = "@analyste.mons:prevnet.localhost"  # zp-mons-quevy, author and moderator
JULIEN = "@prevention.mons:prevnet.localhost"  # pcs-mons (Mons, in zone 5324)
SOPHIE = "@prevention.quevy:prevnet.localhost"


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, ["--data-dir", str(tmp_path / "data"), *args])

    assert invoke("partners", "import", str(EXAMPLES / "partners.yaml")).exit_code == 0
    return invoke


def listing(run: Callable[..., Result], *args: str) -> list[str]:
    return [line for line in run("duty", "list", *args).stdout.splitlines() if "#" in line]


def test_set_then_list_in_the_network_time_zone(run: Callable[..., Result]) -> None:
    set_ = run(
        "duty", "set", "zone 5324", CLAIRE, "--from", "2030-12-05 18:00", "--to", "2030-12-06 08:00"
    )
    assert set_.exit_code == 0, set_.output
    assert set_.stdout.startswith("added #1: zone 5324 ")
    assert "2030-12-05 18:00 - 2030-12-06 08:00 (Europe/Brussels)" in set_.stdout
    province = run(
        "duty", "set", "Hainaut", JULIEN, "--from", "2030-12-05T17:00Z", "--to", "2030-12-05T23:00Z"
    )
    assert province.exit_code == 0 and "Province du Hainaut" in province.stdout
    assert "2030-12-05 18:00 - 2030-12-06 00:00" in province.stdout  # UTC shown as Brussels time
    shown = run("duty", "list")
    assert "times in Europe/Brussels" in shown.stdout
    assert listing(run, "5324") == [
        f"  #1  2030-12-05 18:00 - 2030-12-06 08:00  {CLAIRE} (Claire Lambert)  (cli)"
    ]
    assert listing(run, "--member", JULIEN)[0].startswith("  #2  2030-12-05 18:00")
    assert "duty.cli" in run("audit").output
    now = run("duty", "set", "5327", CLAIRE, "--from", "2020-01-01 00:00", "--to", "2099-01-01")
    assert now.exit_code == 0
    assert listing(run, "zone 5327")[0].endswith("(cli)  [on duty now]")


def test_an_unknown_zone_or_a_non_member_is_refused_with_the_reason(
    run: Callable[..., Result],
) -> None:
    unknown = run(
        "duty", "set", "zone 9999", CLAIRE, "--from", "2030-12-05 18:00", "--to", "2030-12-06 08:00"
    )
    assert unknown.exit_code == 1
    assert "no police zone '9999'" in unknown.output and "territory show" in unknown.output
    stranger = run(
        "duty",
        "set",
        "5324",
        "@nobody:prevnet.localhost",
        "--from",
        "2030-12-05 18:00",
        "--to",
        "2030-12-06 08:00",
    )
    assert stranger.exit_code == 1
    assert "@nobody:prevnet.localhost is not a member of the network" in stranger.output
    backwards = run(
        "duty", "set", "5324", CLAIRE, "--from", "2030-12-06 08:00", "--to", "2030-12-05 18:00"
    )
    assert backwards.exit_code == 1 and "before it starts" in backwards.output
    bad_time = run("duty", "set", "5324", CLAIRE, "--from", "tonight", "--to", "2030-12-05 18:00")
    assert bad_time.exit_code == 1 and "from: 'tonight' is not a time" in bad_time.output
    assert run("member", "suspend", SOPHIE, "--reason", "on leave").exit_code == 0
    suspended = run(
        "duty", "set", "5324", SOPHIE, "--from", "2030-12-05 18:00", "--to", "2030-12-06 08:00"
    )
    assert suspended.exit_code == 1 and "is suspended" in suspended.output
    assert listing(run) == []


def test_overlapping_entries_are_stored_and_reported_naming_both(
    run: Callable[..., Result],
) -> None:
    run("duty", "set", "5324", CLAIRE, "--from", "2030-12-05 18:00", "--to", "2030-12-06 08:00")
    second = run(
        "duty", "set", "5324", JULIEN, "--from", "2030-12-06 06:00", "--to", "2030-12-06 18:00"
    )
    assert second.exit_code == 0
    assert second.stdout.startswith("added #2")
    assert (
        f"warning: the new entry ({JULIEN}, 2030-12-06 06:00 - 2030-12-06 18:00) overlaps "
        f"#1 ({CLAIRE}, 2030-12-05 18:00 - 2030-12-06 08:00) for zone 5324: both are on duty "
        "from 2030-12-06 06:00 to 2030-12-06 08:00"
    ) in second.stderr
    assert "prevnet duty remove" in second.stderr
    assert [line.split("  [")[-1] for line in listing(run, "5324")] == [
        "overlaps #2]",
        "overlaps #1]",
    ]
    again = run(
        "duty", "set", "5324", CLAIRE, "--from", "2030-12-05 18:00", "--to", "2030-12-06 08:00"
    )
    assert "already on the rota as #1" in again.stdout and "nothing added" in again.stdout
    removed = run("duty", "remove", "2")
    assert removed.exit_code == 0 and removed.stdout.startswith("removed #2: zone 5324")
    assert len(listing(run, "5324")) == 1
    assert run("duty", "remove", "2").exit_code == 1


def test_a_member_outside_the_areas_room_is_noted(run: Callable[..., Result]) -> None:
    result = run(
        "duty", "set", "zone 5327", JULIEN, "--from", "2030-12-05 18:00", "--to", "2030-12-06 08:00"
    )
    assert result.exit_code == 0
    assert f"note: {JULIEN} is not in the room of zone 5327" in result.stderr


YAML_ROTA = f"""\
# the Mons/Quévy rota for the first December weekend
duty:
  - area: zone 5324
    member: "{CLAIRE}"
    from: 2030-12-05 18:00
    to: 2030-12-06 08:00
  - area: Hainaut
    member: "{JULIEN}"
    from: 2030-12-06T08:00+01:00
    to: 2030-12-06T20:00+01:00
"""


def test_a_yaml_rota_is_imported_once(run: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "rota.yaml"
    path.write_text(YAML_ROTA, encoding="utf-8")
    checked = run("duty", "import", str(path), "--check")
    assert checked.exit_code == 0 and "nothing was stored" in checked.stdout
    assert listing(run) == []
    first = run("duty", "import", str(path))
    assert first.exit_code == 0, first.output
    assert first.stdout.count("added #") == 2
    again = run("duty", "import", str(path))
    assert again.stdout.count("already on the rota") == 2 and "added #" not in again.stdout
    assert len(listing(run)) == 2
    assert "(import)" in listing(run)[0]


def test_a_bad_entry_refuses_the_whole_file_naming_its_line(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    bad = (
        YAML_ROTA
        + f"""\
  - area: Atlantis
    member: "@{CLAIRE[1:].split(":")[0]}:evil.example"
    from: 2030-12-07 08:00
    to: 2030-12-07 07:00
  - area: 5324
    member: "{SOPHIE}"
    starts: 2030-12-08 08:00
    colour: blue
"""
    )
    path = tmp_path / "rota.yaml"
    path.write_text(bad, encoding="utf-8")
    result = run("duty", "import", str(path))
    assert result.exit_code == 1
    assert "duty rota file has 1 error(s); nothing was changed" in result.output  # read first
    assert "line 15: entry 4: unknown field 'colour'" in result.output
    assert "to: missing" in result.output
    path.write_text(bad.rsplit("    colour: blue\n", 1)[0] + "    to: 2030-12-08 20:00\n")
    result = run("duty", "import", str(path))
    assert result.exit_code == 1
    assert "duty rota has 1 error(s); nothing was changed" in result.output
    line = next(x for x in result.output.splitlines() if "line 11" in x)
    assert "entry 3: no police zone or province 'Atlantis'" in line
    assert "is on another server; prevnet serves prevnet.localhost" in line
    assert "before it starts" in line
    assert listing(run) == []  # the good entries were not stored either
    broken = tmp_path / "broken.yaml"
    broken.write_text("duty:\n  - area: [zone\n", encoding="utf-8")
    result = run("duty", "import", str(broken))
    assert result.exit_code == 1 and "not valid YAML" in result.output and "line " in result.output


def test_an_ics_written_by_the_icalendar_library_is_imported(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    calendar = Calendar()
    calendar.add("prodid", "-//test//duty//EN")
    calendar.add("version", "2.0")
    night = Event()
    night.add("uid", "night-1@test")
    night.add("summary", f"Permanence {CLAIRE}")
    night.add("location", "zone 5324")
    night.add("dtstart", datetime(2030, 12, 5, 17, 0, tzinfo=UTC))
    night.add("dtend", datetime(2030, 12, 6, 7, 0, tzinfo=UTC))
    calendar.add_component(night)
    day = Event()
    day.add("uid", "day-1@test")
    day.add("summary", "Province duty")
    day.add("location", "Hainaut")
    day.add("attendee", vCalAddress("MAILTO:Claire.Lambert@example.org"))  # her address
    day.add("dtstart", datetime(2030, 12, 6, 7, 0, tzinfo=UTC))
    day.add("dtend", datetime(2030, 12, 6, 19, 0, tzinfo=UTC))
    calendar.add_component(day)
    path = tmp_path / "rota.ics"
    path.write_bytes(calendar.to_ical())
    result = run("duty", "import", str(path))
    assert result.exit_code == 0, result.output
    assert listing(run, "5324")[0].startswith(
        "  #1  2030-12-05 18:00 - 2030-12-06 08:00  " + CLAIRE
    )
    assert listing(run, "Hainaut")[0].startswith(
        "  #2  2030-12-06 08:00 - 2030-12-06 20:00  " + CLAIRE
    )


HAND_WRITTEN_ICS = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Zone de police//Planning//FR
BEGIN:VTIMEZONE
TZID:Europe/Brussels
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:a@zp
DTSTART;TZID=Europe/Brussels:20301207T080000
DTEND;TZID=Europe/Brussels:20301207T200000
SUMMARY:zone 5324: @analyste.mons:prevnet.localhost
END:VEVENT
BEGIN:VEVENT
UID:b@zp
DTSTART:20301207T200000
DURATION:PT12H
LOCATION:5324
DESCRIPTION:Garde de nuit\\, @prevention.mons:prevnet.localhost
END:VEVENT
BEGIN:VEVENT
UID:c@zp
STATUS:CANCELLED
DTSTART:20301209T080000
DTEND:20301209T200000
SUMMARY:zone 9999 nobody
END:VEVENT
BEGIN:VEVENT
UID:d@zp
DTSTART;VALUE=DATE:20301210
SUMMARY:Hainaut - @analyste.mons:prevnet.localhost
END:VEVENT
END:VCALENDAR
"""


def test_a_hand_written_ics_is_read_with_its_time_zone_and_durations(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "planning.ics"
    path.write_text(HAND_WRITTEN_ICS.replace("\n", "\r\n"), encoding="utf-8")
    result = run("duty", "import", str(path))
    assert result.exit_code == 0, result.output
    first, second = listing(run, "5324")
    assert first.startswith(f"  #1  2030-12-07 08:00 - 2030-12-07 20:00  {CLAIRE} ")
    assert second.startswith(f"  #2  2030-12-07 20:00 - 2030-12-08 08:00  {JULIEN} ")  # floating
    (all_day,) = listing(run, "Hainaut")  # a day-long event without an end: that day
    assert all_day.startswith(f"  #3  2030-12-10 00:00 - 2030-12-11 00:00  {CLAIRE} ")


def test_a_bad_ics_event_is_named_and_nothing_is_stored(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    text = HAND_WRITTEN_ICS.replace("LOCATION:5324", "LOCATION:5324\nRRULE:FREQ=WEEKLY").replace(
        "SUMMARY:zone 5324: @analyste.mons:prevnet.localhost",
        "SUMMARY:zone 5324: @analyste.mons:other.example",
    )
    path = tmp_path / "planning.ics"
    path.write_text(text, encoding="utf-8")
    result = run("duty", "import", str(path))
    assert result.exit_code == 1
    assert "line 25: event 2: a repeating event (RRULE) is not read" in result.output
    assert "nothing was changed" in result.output
    assert listing(run) == []
    path.write_text(text.replace("LOCATION:5324\nRRULE:FREQ=WEEKLY", "LOCATION:5324"))
    result = run("duty", "import", str(path))
    assert result.exit_code == 1
    assert "line 19: event 1: @analyste.mons:other.example is on another server" in result.output
    assert listing(run) == []
