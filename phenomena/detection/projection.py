"""Map projections (pyproj): everything detection measures is in metres of one system."""

from __future__ import annotations

import functools

from pyproj import Transformer
from pyproj.exceptions import CRSError

from phenomena.errors import InvalidValue
from phenomena.incidents import SCAN_CRS, Projector

KEEP = "metres"
"""The source's coordinates are already metres in a local system: keep them as they are."""


def _same(a: float, b: float) -> tuple[float, float]:
    return a, b


@functools.cache
def projector(source_crs: str, target_crs: str = SCAN_CRS) -> Projector:
    """A function from (x, y) or (lon, lat) in ``source_crs`` to metres in ``target_crs``."""
    if source_crs == KEEP:
        return _same
    try:
        transformer = Transformer.from_crs(source_crs, target_crs, always_xy=True)
    except CRSError:
        raise InvalidValue(
            f"unknown coordinate system {source_crs!r}: give an EPSG code such as EPSG:31370 "
            "(Belgian Lambert 72) or EPSG:3812 (Lambert 2008), or 'metres' to keep the values"
        ) from None

    def project(a: float, b: float) -> tuple[float, float]:
        x, y = transformer.transform(a, b)
        return float(x), float(y)

    return project


def to_wgs84(x: float, y: float, crs: str = SCAN_CRS) -> tuple[float, float]:
    """Metres back to (longitude, latitude), for maps."""
    return projector(crs, "EPSG:4326")(x, y)
