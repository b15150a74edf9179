"""Duty rota files as partners keep them: YAML written by hand, or an iCalendar (.ics) export of
a shared calendar. Each gives the entries as written, numbered and with their line, for
``phenomena.duty.check_entries`` to check; a file that cannot be read names the line.

YAML::

    duty:
      - area: zone 5324            # or a province: Hainaut, province 50000
        member: "@analyste.mons:prevnet.localhost"
        from: 2026-12-05 18:00     # network time (settings.timezone), or ISO 8601
        to: 2026-12-06 08:00

iCalendar: one event per duty. The area is the event's LOCATION (else its title without the
member); the member a Matrix ID in the title or description, a ``matrix:u/...`` attendee, or an
attendee whose e-mail address is a member's. Times with a time zone keep it; floating times
are network time; a day-long event runs from midnight to midnight.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from icalendar import Calendar, Component

from phenomena.duty import RotaEntry
from phenomena.errors import DocumentErrors, LineError

_MATRIX_ID = re.compile(r"@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(?::[0-9]{1,5})?", re.IGNORECASE)
_FIELDS = {
    "area": "area",
    "zone": "area",
    "province": "area",
    "member": "member",
    "from": "from",
    "start": "from",
    "starts": "from",
    "to": "to",
    "end": "to",
    "ends": "to",
    "until": "to",
}
WHAT = "duty rota file"


def read_rota_file(path: Path, addresses: Mapping[str, str]) -> list[RotaEntry]:
    """The entries of a YAML or .ics file (by content: an iCalendar starts BEGIN:VCALENDAR).

    ``addresses`` maps members' e-mail addresses (lower case) to their Matrix IDs, for
    calendar attendees.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentErrors([LineError(None, "not UTF-8 text: save it as UTF-8")], WHAT) from None
    if text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        return read_ics(text, addresses)
    return read_yaml(text)


def read_yaml(text: str) -> list[RotaEntry]:
    """The entries of a YAML rota: a list under ``duty:`` (or the list alone)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise DocumentErrors([LineError(line, f"not valid YAML: {exc.problem}")], WHAT) from None
    if isinstance(root, yaml.MappingNode):
        keys = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
        if set(keys) != {"duty"}:
            raise DocumentErrors(
                [LineError(root.start_mark.line + 1, "write the entries as a list under 'duty:'")],
                WHAT,
            )
        root = keys["duty"]
    if not isinstance(root, yaml.SequenceNode):
        line = root.start_mark.line + 1 if root is not None else None
        raise DocumentErrors(
            [LineError(line, "no entries: write a list under 'duty:' (see `duty import --help`)")],
            WHAT,
        )
    entries: list[RotaEntry] = []
    errors: list[LineError] = []
    for number, item in enumerate(root.value, start=1):
        line = item.start_mark.line + 1
        where = f"entry {number}"
        if not isinstance(item, yaml.MappingNode):
            errors.append(LineError(line, f"{where}: write area, member, from and to"))
            continue
        values: dict[str, str] = {}
        problems: list[str] = []
        for key_node, value_node in item.value:
            name = _FIELDS.get(str(key_node.value).lower())
            if name is None:
                problems.append(f"unknown field {key_node.value!r}: use area, member, from, to")
            elif not isinstance(value_node, yaml.ScalarNode) or not value_node.value.strip():
                problems.append(f"{key_node.value}: give one value")
            else:
                values[name] = value_node.value
        problems += [f"{n}: missing" for n in ("area", "member", "from", "to") if n not in values]
        if problems:
            errors.append(LineError(line, f"{where}: " + "; ".join(problems)))
            continue
        entries.append(
            RotaEntry(values["area"], values["member"], values["from"], values["to"], line, where)
        )
    if errors:
        raise DocumentErrors(errors, WHAT)
    return entries


def read_ics(text: str, addresses: Mapping[str, str]) -> list[RotaEntry]:
    """The entries of an iCalendar file: one per event (cancelled ones left out)."""
    try:
        calendar = Calendar.from_ical(text)
    except ValueError as exc:
        raise DocumentErrors(
            [LineError(None, f"not a readable iCalendar file ({exc}): export it again")], WHAT
        ) from None
    lines = [
        n for n, raw in enumerate(text.splitlines(), 1) if raw.strip().upper() == "BEGIN:VEVENT"
    ]
    entries: list[RotaEntry] = []
    errors: list[LineError] = []
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        line = lines[number - 1] if number <= len(lines) else None
        where = f"event {number}"
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        problems: list[str] = []
        if event.get("RRULE") is not None:
            problems.append(
                "a repeating event (RRULE) is not read: give each duty as an event of its own "
                "(most calendars can export the occurrences)"
            )
        summary = str(event.get("SUMMARY", ""))
        member = _member(event, summary, addresses, problems)
        location = str(event.get("LOCATION", "")).strip()
        area = location or _MATRIX_ID.sub("", summary).strip(" :-\u2013\t")
        if not area:
            problems.append("no area: put the zone or province in the event's location")
        start, end = _times(event, problems)
        if problems or member is None or start is None or end is None:
            errors.append(LineError(line, f"{where}: " + "; ".join(problems)))
            continue
        entries.append(RotaEntry(area, member, start, end, line, where))
    if errors:
        raise DocumentErrors(errors, WHAT)
    if not entries and not errors:
        raise DocumentErrors([LineError(None, "the calendar has no events")], WHAT)
    return entries


def _member(
    event: Component, summary: str, addresses: Mapping[str, str], problems: list[str]
) -> str | None:
    for text in (summary, str(event.get("DESCRIPTION", ""))):
        found = _MATRIX_ID.search(text)
        if found:
            return found.group(0)
    attendees = event.get("ATTENDEE", [])
    unknown: list[str] = []
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        uri = str(attendee).strip()
        if uri.lower().startswith("matrix:u/"):
            return "@" + uri[len("matrix:u/") :].split("?")[0]
        if uri.lower().startswith("mailto:"):
            address = uri[len("mailto:") :].strip().lower()
            if address in addresses:
                return addresses[address]
            unknown.append(address)
    if unknown:
        problems.append(
            f"no member has the address {', '.join(unknown)}: invite the member with the "
            "address prevnet has for them, or put their Matrix ID (@name:server) in the title"
        )
    else:
        problems.append(
            "no member: put the member's Matrix ID (@name:server) in the title, or invite "
            "them with the e-mail address prevnet has for them"
        )
    return None


def _times(event: Component, problems: list[str]) -> tuple[date | None, date | None]:
    begin = event.get("DTSTART")
    if begin is None:
        problems.append("no DTSTART: the event needs a start")
        return None, None
    start: date = begin.dt
    finish = event.get("DTEND")
    if finish is not None:
        return start, finish.dt
    if event.get("DURATION") is not None:
        return start, start + event.get("DURATION").dt
    if not isinstance(start, datetime):  # a day-long event without an end: that day
        return start, start + timedelta(days=1)
    problems.append("no DTEND or DURATION: the event needs an end")
    return start, None
