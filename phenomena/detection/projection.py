"""Map projections (pyproj): everything detection measures is in metres of one system."""

from __future__ import annotations

import functools

from pyproj import Transformer
from pyproj.exceptions import CRSError

from phenomena.errors import InvalidValue
from phenomena.incidents import SCAN_CRS, Projector

KEEP = "metres"
"""The source's x/y are already in metres (a local projected system): kept as they are. Feet are
not metres: a source in feet names its real system (EPSG:3435 for Illinois East, US feet), which
converts them."""

_FEET = frozenset({"feet", "foot", "ft", "us-ft", "usft", "us feet", "survey feet"})


def _same(a: float, b: float) -> tuple[float, float]:
    return a, b


@functools.cache
def projector(source_crs: str, target_crs: str = SCAN_CRS) -> Projector:
    """A function from (x, y) or (lon, lat) in ``source_crs`` to metres in ``target_crs``."""
    if source_crs == KEEP:
        return _same
    if source_crs.strip().lower() in _FEET:
        raise InvalidValue(
            f"{source_crs!r} is a unit, not a coordinate system: give the system the feet belong "
            "to, such as EPSG:3435 (NAD83 / Illinois East, US feet), so they are converted to "
            "metres; 'metres' is only for x/y already in metres"
        )
    try:
        transformer = Transformer.from_crs(source_crs, target_crs, always_xy=True)
    except CRSError:
        raise InvalidValue(
            f"unknown coordinate system {source_crs!r}: give an EPSG code such as EPSG:31370 "
            "(Belgian Lambert 72), EPSG:3812 (Lambert 2008) or EPSG:3435 (Illinois East, US feet), "
            "or 'metres' for x/y already in metres"
        ) from None

    def project(a: float, b: float) -> tuple[float, float]:
        x, y = transformer.transform(a, b)
        return float(x), float(y)

    return project


def to_wgs84(x: float, y: float, crs: str = SCAN_CRS) -> tuple[float, float]:
    """Metres back to (longitude, latitude), for maps."""
    return projector(crs, "EPSG:4326")(x, y)
