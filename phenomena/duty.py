"""The duty rota: who answers for a police zone or a province, from when until when.

Pure rules, so the command line, the partner-file style import and the chat agree: reading an
area and a time as people write them, checking an entry (the area exists, the member is an
active member of this server, the end comes after the start), naming overlapping entries, and
who is on duty at a moment. Storage is ``phenomena.storage.duty``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from phenomena.errors import DocumentErrors, InvalidValue, LineError, PermissionDenied
from phenomena.partners import Member, Role, check_member_id
from phenomena.territory import TerritoryRegistry

ZONE = "zone"
PROVINCE = "province"
SCOPES = (ZONE, PROVINCE)
SOURCES = ("cli", "import", "take")

MAX_TAKE = timedelta(days=7)
"""The longest duty a member may take in chat; longer rotas are an administrator's to set."""
LATE_HOUR = 20
"""From this hour (network time) ``!duty take`` without an end runs to 08:00 the next morning,
before it to midnight: a member taking duty at 23:00 is not meant to be on it for an hour."""
MORNING = time(8, 0)

_PREFIXES = {
    "zone": ZONE,
    "zp": ZONE,
    "pz": ZONE,
    "province": PROVINCE,
    "provincie": PROVINCE,
    "provinz": PROVINCE,
}
_DURATION = re.compile(r"^(\d{1,3})\s*(m|min|h|d)$")
_CLOCK = re.compile(r"^(\d{1,2})[:h.](\d{2})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:[ T](\d{1,2})[:h.](\d{2}))?$")


@dataclass(frozen=True)
class DutyArea:
    """A police zone (``zone``, its key such as ``5324``) or a province (its NIS code)."""

    scope: str
    area: str

    @property
    def room_key(self) -> str:
        """The key of the area's room: ``zone:5324``, ``province:50000``."""
        return f"{self.scope}:{self.area}"

    def label(self, territories: TerritoryRegistry) -> str:
        """How people name it: ``zone 5324 Mons/Quévy``, ``Province du Hainaut (Provincie ...)``."""
        if self.scope == ZONE and self.area in territories.zones:
            return f"zone {self.area} {territories.zones[self.area].name}"
        if self.scope == PROVINCE and self.area in territories.provinces:
            return territories.provinces[self.area].name
        return f"{self.scope} {self.area}"


def area_of_room(room_key: str | None) -> DutyArea | None:
    """The area a zone or province room stands for; None for every other room."""
    if room_key is None:
        return None
    scope, _, area = room_key.partition(":")
    return DutyArea(scope, area) if scope in SCOPES and area else None


def parse_area(text: str, territories: TerritoryRegistry) -> DutyArea:
    """A zone or province as written: ``5324``, ``zone 5324``, ``zone:5324``, ``Hainaut``,
    ``province 50000``. Raises InvalidValue saying what to write when nothing matches."""
    value = " ".join(text.replace(":", " ").split())
    head, _, rest = value.partition(" ")
    wanted = _PREFIXES.get(head.lower()) if rest else None
    query = rest if wanted else value
    if wanted in (None, ZONE):
        zone = territories.find_zone(query)
        if zone is not None:
            return DutyArea(ZONE, zone.key)
    if wanted in (None, PROVINCE):
        province = territories.find_province(query)
        if province is not None:
            return DutyArea(PROVINCE, province.nis)
    what = {ZONE: "police zone", PROVINCE: "province"}.get(wanted or "", "police zone or province")
    raise InvalidValue(
        f"no {what} {query!r}: write a zone number such as 'zone 5324' "
        "(`prevnet territory show <municipality>` gives its zone) or a province such as "
        "'Hainaut' or 'province 50000'"
    )


@dataclass(frozen=True)
class DutyPeriod:
    """A member on duty for a zone or a province from ``starts_at`` until ``ends_at`` (UTC)."""

    scope: str
    area: str
    member: str
    starts_at: datetime
    ends_at: datetime
    set_by: str
    source: str = "cli"
    id: int | None = None
    set_at: datetime | None = None
    handover_posted_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise InvalidValue(f"duty scope {self.scope!r}: write zone or province")
        if self.source not in SOURCES:
            raise InvalidValue(f"duty source {self.source!r}: one of {', '.join(SOURCES)}")
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise InvalidValue("duty times must carry their time zone")
        if self.ends_at <= self.starts_at:
            raise InvalidValue(
                f"it ends ({self.ends_at.isoformat()}) before it starts "
                f"({self.starts_at.isoformat()}): give an end after the start"
            )

    @property
    def where(self) -> DutyArea:
        """The period's area."""
        return DutyArea(self.scope, self.area)

    def covers(self, at: datetime) -> bool:
        """Whether the member is on duty at ``at`` (from the start, up to but not the end)."""
        return self.starts_at <= at < self.ends_at

    def overlaps(self, other: DutyPeriod) -> bool:
        """Same area, and the two share some time (one ending as the other starts does not)."""
        return (
            self.where == other.where
            and self.starts_at < other.ends_at
            and other.starts_at < self.ends_at
        )

    def same_entry(self, other: DutyPeriod) -> bool:
        """The same member, area and times: an entry given again, not a second one."""
        return (self.where, self.member, self.starts_at, self.ends_at) == (
            other.where,
            other.member,
            other.starts_at,
            other.ends_at,
        )

    def span(self, zone: tzinfo) -> str:
        """``2026-12-05 18:00 - 2026-12-06 08:00`` in the network's time zone."""
        return f"{local_text(self.starts_at, zone)} - {local_text(self.ends_at, zone)}"


@dataclass(frozen=True)
class Overlap:
    """Two entries for the same area sharing time; ``label``s name each (``#12``, ``entry 3``)."""

    entry: DutyPeriod
    entry_label: str
    other: DutyPeriod
    other_label: str

    def message(self, zone: tzinfo) -> str:
        """What to tell whoever set the rota, naming both entries."""
        start = max(self.entry.starts_at, self.other.starts_at)
        end = min(self.entry.ends_at, self.other.ends_at)
        return (
            f"{self.entry_label} ({self.entry.member}, {self.entry.span(zone)}) overlaps "
            f"{self.other_label} ({self.other.member}, {self.other.span(zone)}) for "
            f"{self.entry.scope} {self.entry.area}: both are on duty from "
            f"{local_text(start, zone)} to {local_text(end, zone)}"
        )


def find_overlaps(
    entries: Sequence[tuple[str, DutyPeriod]], stored: Iterable[DutyPeriod]
) -> list[Overlap]:
    """Every pair of overlapping entries: new ones among themselves and with stored ones."""
    found: list[Overlap] = []
    stored = list(stored)
    for i, (label, period) in enumerate(entries):
        for other_label, other in entries[:i]:
            if period.overlaps(other):
                found.append(Overlap(period, label, other, other_label))
        for other in stored:
            if period.overlaps(other) and not period.same_entry(other):
                found.append(Overlap(period, label, other, f"#{other.id}"))
    return found


def on_duty(
    periods: Iterable[DutyPeriod], scope: str, areas: Sequence[str], at: datetime
) -> list[DutyPeriod]:
    """Who is on duty for any of ``areas`` at ``at``, by area then start."""
    wanted = set(areas)
    return sorted(
        (p for p in periods if p.scope == scope and p.area in wanted and p.covers(at)),
        key=lambda p: (p.area, p.starts_at, p.member),
    )


def predecessor(period: DutyPeriod, candidates: Iterable[DutyPeriod]) -> DutyPeriod | None:
    """Who was on duty for the area before ``period`` started: the entry begun earlier that ends
    last (None: nobody before). Shown in the handover note as who handed over."""
    earlier = [
        c
        for c in candidates
        if c.where == period.where and c.id != period.id and c.starts_at < period.starts_at
    ]
    return max(earlier, key=lambda c: (c.ends_at, c.starts_at), default=None)


# -- checking entries ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RotaEntry:
    """One entry as written (command line, file, chat), before it is checked.

    ``starts`` and ``ends`` are text in the network's time zone, or aware times (a calendar
    file's). ``where`` names it in messages (``entry 3 (line 12)``).
    """

    area: str
    member: str
    starts: str | date
    ends: str | date
    line: int | None = None
    where: str = "entry"


def check_duty_member(text: str, member: Member | None, server_name: str) -> str:
    """The Matrix ID of someone who may be on duty: an active member of this server."""
    matrix_id = check_member_id(text, server_name)
    if member is None:
        raise InvalidValue(
            f"{matrix_id} is not a member of the network: add them first "
            "(`prevnet member add`, or the partner file), then set the duty"
        )
    if not member.is_active:
        raise InvalidValue(
            f"{matrix_id} is {member.status.value}: only active members can be on duty; "
            "reinstate them first (`prevnet member reinstate`) or put someone else on duty"
        )
    return matrix_id


def check_entries(
    entries: Sequence[RotaEntry],
    territories: TerritoryRegistry,
    members: Mapping[str, Member],
    server_name: str,
    zone: tzinfo,
    *,
    set_by: str,
    source: str,
    what: str = "duty rota",
) -> list[DutyPeriod]:
    """Every entry as a period, or DocumentErrors naming each bad entry and all its problems."""
    periods: list[DutyPeriod] = []
    errors: list[LineError] = []
    for entry in entries:
        problems: list[str] = []
        area = member = starts = ends = None
        try:
            area = parse_area(entry.area, territories)
        except InvalidValue as exc:
            problems.append(str(exc))
        try:
            member = check_duty_member(entry.member, members.get(entry.member.strip()), server_name)
        except InvalidValue as exc:
            problems.append(str(exc))
        for name, value in (("from", entry.starts), ("to", entry.ends)):
            try:
                parsed = parse_time(value, zone)
            except InvalidValue as exc:
                problems.append(f"{name}: {exc}")
                continue
            if name == "from":
                starts = parsed
            else:
                ends = parsed
        if starts is not None and ends is not None and ends <= starts:
            problems.append(
                f"it ends ({local_text(ends, zone)}) before it starts ({local_text(starts, zone)})"
                ": give a 'to' after the 'from'"
            )
        if problems or area is None or member is None or starts is None or ends is None:
            errors.append(LineError(entry.line, f"{entry.where}: " + "; ".join(problems)))
            continue
        periods.append(DutyPeriod(area.scope, area.area, member, starts, ends, set_by, source))
    if errors:
        raise DocumentErrors(errors, what)
    return periods


# -- times as people write them ------------------------------------------------------------------


def parse_time(value: str | datetime | date, zone: tzinfo) -> datetime:
    """A moment: ``2026-12-05 18:00`` (network time), ISO 8601 with or without an offset,
    ``05/12/2026 18:00`` (day first), or a day alone (its midnight). Aware, in UTC."""
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, date):
        found = datetime.combine(value, time(0))
    else:
        found = _read_time(value.strip())
    if found.tzinfo is None:
        found = found.replace(tzinfo=zone)
    return found.astimezone(UTC)


def _read_time(text: str) -> datetime:
    day_first = _DAY_FIRST.match(text)
    try:
        if day_first:
            day, month, year, hour, minute = day_first.groups()
            return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidValue(
            f"{text!r} is not a time: write it as 2026-12-05 18:00 (network time), "
            "05/12/2026 18:00, or ISO 8601 such as 2026-12-05T18:00+01:00"
        ) from None


def parse_until(text: str, now: datetime, zone: tzinfo) -> datetime:
    """The end of a duty taken now: ``18:00`` (the next time the clock shows it), ``8h``,
    ``90m``, ``2d``, or a date and time as ``parse_time`` reads them."""
    value = text.strip().lower()
    duration = _DURATION.match(value)
    if duration:
        amount, unit = int(duration.group(1)), duration.group(2)
        step = {"m": timedelta(minutes=1), "min": timedelta(minutes=1), "h": timedelta(hours=1)}
        return now + amount * step.get(unit, timedelta(days=1))
    clock = _CLOCK.match(value)
    if clock:
        hour, minute = int(clock.group(1)), int(clock.group(2))
        if hour > 23 or minute > 59:
            raise InvalidValue(f"{text!r} is not a time of day: write e.g. 18:00")
        local = now.astimezone(zone)
        end = datetime.combine(local.date(), time(hour, minute), tzinfo=zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), time(hour, minute), zone)
        return end.astimezone(UTC)
    try:
        return parse_time(text, zone)
    except InvalidValue:
        raise InvalidValue(
            f"{text!r} is not an end: write a time of day (18:00), a length (8h, 90m, 2d) or a "
            "date and time (2026-12-05 18:00)"
        ) from None


def default_take_end(now: datetime, zone: tzinfo) -> datetime:
    """Where ``!duty take`` without an end stops: midnight tonight; taken at night (from 20:00,
    or before 08:00), 08:00 the next morning (network time), so a night take never runs a day."""
    local = now.astimezone(zone)
    if local.time() < MORNING:
        return datetime.combine(local.date(), MORNING, tzinfo=zone).astimezone(UTC)
    tomorrow = local.date() + timedelta(days=1)
    at = MORNING if local.hour >= LATE_HOUR else time(0)
    return datetime.combine(tomorrow, at, tzinfo=zone).astimezone(UTC)


def take_duty(
    member: Member, area: DutyArea, now: datetime, until: datetime | None, zone: tzinfo
) -> DutyPeriod:
    """A moderator or author takes duty for ``area`` from now (PermissionDenied otherwise)."""
    if not (member.has(Role.AUTHOR) or member.has(Role.MODERATOR)):
        raise PermissionDenied(
            "sorry, taking duty needs the author or moderator role: whoever is on duty acts on "
            "the alerts of the area; ask an administrator of your organisation if you should"
        )
    end = until if until is not None else default_take_end(now, zone)
    if end <= now:
        raise InvalidValue(
            f"{local_text(end, zone)} has already passed: give an end in the future "
            "(e.g. !duty take 18:00, or !duty take 8h)"
        )
    if end - now > MAX_TAKE:
        raise InvalidValue(
            f"{local_text(end, zone)} is more than 7 days away: take at most 7 days in chat; "
            "an administrator sets longer rotas (`prevnet duty set` or `prevnet duty import`)"
        )
    return DutyPeriod(area.scope, area.area, member.matrix_id, now, end, member.matrix_id, "take")


def local_text(moment: datetime, zone: tzinfo) -> str:
    """``2026-12-05 18:00`` in the network's time zone."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
