"""Incident reports: what detection works on. Read from CSV rows or JSON records by a mapping.

Every incident gets a location in metres in one projected system (Belgian Lambert 2008,
EPSG:3812, by default) so distances mean the same everywhere: from projected x/y (in the CRS
the source names), from latitude and longitude, or from the municipality's centroid when only
the municipality is known (coarse, but still useful at the scale of a wave).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from phenomena.errors import DomainError
from phenomena.incident_files.dates import DateReader
from phenomena.incident_files.problems import LineProblem, LineProblems, as_problem
from phenomena.incident_files.type_map import EMPTY as TYPE_EMPTY
from phenomena.incident_files.type_map import TypeMap
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry

SCAN_CRS = "EPSG:3812"
ROLES = ("time", "x", "y", "lat", "lon", "latlon", "municipality", "type", "modus", "id")
"""The columns a mapping can name."""
Projector = Callable[[float, float], tuple[float, float]]


@dataclass(frozen=True)
class IncidentMapping:
    """Which column holds what, and how to read it.

    Location: x and y, or lat and lon, or one latlon column ("50.45,3.95"), or municipality.
    """

    time: str
    x: str | None = None
    y: str | None = None
    lat: str | None = None
    lon: str | None = None
    latlon: str | None = None
    municipality: str | None = None
    type: str | None = None
    modus: str | None = None
    id: str | None = None
    crs: str = SCAN_CRS
    default_type: PhenomenonType | None = None
    time_format: str | None = None
    types: TypeMap = field(default_factory=TypeMap)

    def columns(self) -> dict[str, str]:
        """The role of each column the mapping names."""
        named = {role: getattr(self, role) for role in ROLES}
        return {role: column for role, column in named.items() if column}

    def check(self, columns: Sequence[str]) -> list[str]:
        """Problems with the mapping against a file's header (empty when it fits)."""
        problems = []
        for role, column in self.columns().items():
            if column not in columns:
                problems.append(
                    f"--{role} names column {column!r}, which the file does not have "
                    f"(its columns: {', '.join(columns)})"
                )
            elif list(columns).count(column) > 1:
                problems.append(f"--{role} names column {column!r}, which the header has twice")
        has_xy = bool(self.x and self.y)
        has_ll = bool(self.lat and self.lon) or bool(self.latlon)
        if not (has_xy or has_ll or self.municipality):
            problems.append(
                "say where incidents are: --x and --y, --lat and --lon, --latlon, or --municipality"
            )
        if not self.type and self.default_type is None:
            problems.append("say what incidents are: --type COLUMN or --default-type TYPE")
        return problems


@dataclass(frozen=True)
class Incident:
    """One incident report, located in metres."""

    occurred_on: date
    x: float
    y: float
    type: PhenomenonType
    municipality: str | None
    modus: str | None
    external_id: str | None

    def fingerprint(self, source: str, occurrence: int = 0) -> str:
        """A stable identity: the source's own id, or the content (and which copy it is)."""
        if self.external_id:
            basis = f"{source}|id|{self.external_id}"
        else:
            basis = (
                f"{source}|{self.occurred_on}|{self.x:.1f}|{self.y:.1f}|{self.type.value}|"
                f"{self.municipality}|{self.modus}|{occurrence}"
            )
        return hashlib.sha256(basis.encode()).hexdigest()


def _number(text: str, what: str) -> float:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise LineProblem(f"{what} is not a number", f"{what} {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise LineProblem(f"{what} is not a number", f"{what} {text!r} is not a finite number")
    return value


LATLON = "the lat,lon column does not hold 'latitude,longitude'"


def _lat_lon(text: str) -> tuple[float, float]:
    """A latitude and longitude from one text: '50.45,3.95', '(50.45, 3.95)', '50,45;3,95'."""
    value = text.strip().strip("()[]").strip()
    if ";" in value:
        parts = value.split(";")
    elif value.count(",") == 1:
        parts = value.split(",")
    else:
        parts = value.split()
    if len(parts) != 2:
        raise LineProblem(LATLON, f"{text!r} is not 'latitude,longitude' such as '50.45,3.95'")
    return _number(parts[0], "latitude"), _number(parts[1], "longitude")


def _on_earth(lat: float, lon: float) -> tuple[float, float]:
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise LineProblem(
            "the latitude/longitude is not a place on Earth",
            f"latitude {lat} / longitude {lon} is not a place on Earth",
        )
    return lat, lon


T = TypeVar("T")
_DAY_FIRST = DateReader()


def read_incident(
    row: Mapping[str, str | None],
    mapping: IncidentMapping,
    territories: TerritoryRegistry,
    from_source_crs: Projector,
    from_wgs84: Projector,
    read_time: Callable[[str], date] = _DAY_FIRST.read,
) -> Incident:
    """One record as an incident, or LineProblems with every problem of the record."""
    problems: list[LineProblem] = []

    def attempt(action: Callable[[], T]) -> T | None:
        try:
            return action()
        except DomainError as exc:
            problems.append(as_problem(exc))
            return None

    def get(column: str | None) -> str:
        return (row.get(column) or "").strip() if column else ""

    day = attempt(lambda: read_time(get(mapping.time)))
    located = len(problems)
    municipality = None
    if get(mapping.municipality):
        found = attempt(lambda: territories.find_municipality(get(mapping.municipality)))
        municipality = found.nis if found else None
    place: tuple[float, float] | None = None
    if get(mapping.x) and get(mapping.y):
        x, y = (
            attempt(lambda: _number(get(mapping.x), "x")),
            attempt(lambda: _number(get(mapping.y), "y")),
        )
        if x is not None and y is not None:
            place = from_source_crs(x, y)
    elif get(mapping.lat) and get(mapping.lon):
        lat = attempt(lambda: _number(get(mapping.lat), "latitude"))
        lon = attempt(lambda: _number(get(mapping.lon), "longitude"))
        if lat is not None and lon is not None:
            checked = attempt(lambda: _on_earth(lat, lon))
            place = from_wgs84(lon, lat) if checked else None
    elif get(mapping.latlon):
        both = attempt(lambda: _on_earth(*_lat_lon(get(mapping.latlon))))
        if both is not None:
            place = from_wgs84(both[1], both[0])
    elif municipality is not None:
        m = territories.municipalities[municipality]
        place = from_wgs84(m.lon, m.lat)
    elif len(problems) == located:
        problems.append(LineProblem("no location: the coordinates and the municipality are empty"))
    kind = None
    if get(mapping.type):
        kind = attempt(lambda: mapping.types.read(get(mapping.type)))
    elif mapping.default_type is not None:
        kind = mapping.default_type
    else:
        problems.append(LineProblem(TYPE_EMPTY))
    modus = get(mapping.modus) or None
    if modus and len(modus) > 4000:
        problems.append(LineProblem("the modus operandi text is longer than 4000 characters"))
    if problems:
        raise LineProblems(problems)
    assert day is not None
    assert place is not None
    assert kind is not None
    return Incident(day, place[0], place[1], kind, municipality, modus, get(mapping.id) or None)


def read_all(
    rows: Sequence[tuple[int, Mapping[str, str | None]]],
    mapping: IncidentMapping,
    territories: TerritoryRegistry,
    from_source_crs: Projector,
    from_wgs84: Projector,
) -> tuple[list[tuple[int, Incident]], list[tuple[int, str]]]:
    """Every record read: the incidents with their line, and the rejected lines with why."""
    good: list[tuple[int, Incident]] = []
    bad: list[tuple[int, str]] = []
    for line, row in rows:
        try:
            good.append(
                (line, read_incident(row, mapping, territories, from_source_crs, from_wgs84))
            )
        except DomainError as exc:
            bad.append((line, str(exc)))
    return good, bad
