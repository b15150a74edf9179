"""Incident reports: what detection works on. Read from CSV rows or JSON records by a mapping.

Every incident gets a location in metres in one projected system (Belgian Lambert 2008,
EPSG:3812, by default) so distances mean the same everywhere: from projected x/y (in the CRS
the source names), from latitude and longitude, or from the municipality's centroid when only
the municipality is known (coarse, but still useful at the scale of a wave).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from phenomena.errors import DomainError, InvalidValue
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry

SCAN_CRS = "EPSG:3812"
Projector = Callable[[float, float], tuple[float, float]]


@dataclass(frozen=True)
class IncidentMapping:
    """Which column holds what. Location: x and y, or lat and lon, or municipality."""

    time: str
    x: str | None = None
    y: str | None = None
    lat: str | None = None
    lon: str | None = None
    municipality: str | None = None
    type: str | None = None
    modus: str | None = None
    id: str | None = None
    crs: str = SCAN_CRS
    default_type: PhenomenonType | None = None

    def check(self, columns: list[str]) -> list[str]:
        """Problems with the mapping against a file's header (empty when it fits)."""
        problems = []
        wanted = {
            k: v
            for k, v in self.__dict__.items()
            if k in ("time", "x", "y", "lat", "lon", "municipality", "type", "modus", "id") and v
        }
        for role, column in wanted.items():
            if column not in columns:
                problems.append(
                    f"--{role} names column {column!r}, which the file does not have "
                    f"(its columns: {', '.join(columns)})"
                )
        has_xy = bool(self.x and self.y)
        has_ll = bool(self.lat and self.lon)
        if not (has_xy or has_ll or self.municipality):
            problems.append(
                "say where incidents are: --x and --y, --lat and --lon, or --municipality"
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


_ISO_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T](\d{1,2}):(\d{2}))?")


def parse_time(text: str) -> date:
    """The day of an incident: ISO dates and times, or Belgian day-first dates."""
    value = text.strip()
    if not value:
        raise InvalidValue("the time is empty")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        if _ISO_SHAPE.match(value):
            raise InvalidValue(f"{value!r} is not a day of the calendar") from None
    match = _DAY_FIRST.match(value)
    if match:
        day, month, year = (int(g) for g in match.groups()[:3])
        try:
            return date(year, month, day)
        except ValueError:
            raise InvalidValue(f"{value!r} is not a day of the calendar") from None
    raise InvalidValue(f"{value!r} is not a time: write 2026-11-14, 2026-11-14T15:30 or 14/11/2026")


def _number(text: str, what: str) -> float:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise InvalidValue(f"{what} {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidValue(f"{what} {text!r} is not a finite number")
    return value


def read_incident(
    row: Mapping[str, str | None],
    mapping: IncidentMapping,
    territories: TerritoryRegistry,
    from_source_crs: Projector,
    from_wgs84: Projector,
) -> Incident:
    """One record as an incident, or DomainError saying what is wrong with it."""

    def get(column: str | None) -> str:
        return (row.get(column) or "").strip() if column else ""

    day = parse_time(get(mapping.time))
    municipality = None
    if mapping.municipality and get(mapping.municipality):
        municipality = territories.find_municipality(get(mapping.municipality)).nis
    if mapping.x and mapping.y and get(mapping.x) and get(mapping.y):
        x, y = from_source_crs(_number(get(mapping.x), "x"), _number(get(mapping.y), "y"))
    elif mapping.lat and mapping.lon and get(mapping.lat) and get(mapping.lon):
        lat, lon = _number(get(mapping.lat), "latitude"), _number(get(mapping.lon), "longitude")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidValue(f"latitude {lat} / longitude {lon} is not a place on Earth")
        x, y = from_wgs84(lon, lat)
    elif municipality is not None:
        m = territories.municipalities[municipality]
        x, y = from_wgs84(m.lon, m.lat)
    else:
        raise InvalidValue("no location: the coordinates and the municipality are empty")
    kind_text = get(mapping.type)
    if kind_text:
        kind = PhenomenonType.parse(kind_text)
    elif mapping.default_type is not None:
        kind = mapping.default_type
    else:
        raise InvalidValue("the type is empty")
    modus = get(mapping.modus) or None
    if modus and len(modus) > 4000:
        raise InvalidValue("the modus operandi text is longer than 4000 characters")
    return Incident(day, x, y, kind, municipality, modus, get(mapping.id) or None)


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
