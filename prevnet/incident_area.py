"""Where an organisation may report incidents: its municipalities' outlines, plus a buffer.

A token speaks for one organisation, and an organisation reports what happens on its own
territory: an incident further than ``BUFFER_METRES`` from the outlines of the municipalities it
covers is refused. Regional and federal organisations, and those covering the whole country,
report anywhere. Distances are in metres of the scan's system (EPSG:3812).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from matplotlib.path import Path as Polygon
from pyproj import Transformer

from bots.maps import Outlines
from phenomena.audience import municipalities_of
from phenomena.incidents import SCAN_CRS
from phenomena.partners import Organisation, OrganisationKind, TerritoryKind
from phenomena.territory import TerritoryRegistry

BUFFER_METRES = 5000.0
"""How far outside its own municipalities an organisation's incidents are still accepted."""

ANYWHERE_KINDS = frozenset({OrganisationKind.REGION, OrganisationKind.FEDERAL})

Points = npt.NDArray[np.float64]
_PAIRS_AT_ONCE = 250_000  # point-segment pairs measured in one numpy step (bounds memory)


def covered_municipalities(
    organisation: Organisation, territories: TerritoryRegistry
) -> frozenset[str] | None:
    """The NIS codes of the municipalities an organisation covers; None: all of the country."""
    if organisation.kind in ANYWHERE_KINDS or any(
        ref.kind is TerritoryKind.COUNTRY for ref in organisation.territories
    ):
        return None
    return municipalities_of(organisation, territories)


def _distances(points: Points, ring: Points) -> npt.NDArray[np.float64]:
    """The distance from each point to the nearest edge of a ring."""
    start, end = ring[:-1], ring[1:]
    edge = end - start
    length2 = np.maximum((edge**2).sum(axis=1), 1e-12)
    best = np.full(len(points), np.inf)
    step = max(1, _PAIRS_AT_ONCE // max(len(start), 1))
    for first in range(0, len(points), step):
        chunk = points[first : first + step]
        offset = chunk[:, None, :] - start[None, :, :]
        t = np.clip((offset * edge[None, :, :]).sum(axis=2) / length2[None, :], 0.0, 1.0)
        nearest = start[None, :, :] + t[:, :, None] * edge[None, :, :]
        gap = np.sqrt(((chunk[:, None, :] - nearest) ** 2).sum(axis=2))
        best[first : first + len(chunk)] = gap.min(axis=1)
    return best


@dataclass(frozen=True)
class Area:
    """An organisation's municipalities as outlines in metres, with the buffer around them."""

    municipalities: frozenset[str]
    rings: tuple[Points, ...]
    boxes: npt.NDArray[np.float64]  # one row per ring: min x, min y, max x, max y
    buffer: float

    def outside(self, points: Points) -> npt.NDArray[np.bool_]:
        """For each point (x, y in metres), whether it is further than the buffer from the area.

        Only the point counts: a record that names one of the area's municipalities but gives
        coordinates elsewhere is judged by its coordinates (a record with a municipality and no
        coordinates is placed at that municipality's centre).
        """
        inside = np.zeros(len(points), dtype=bool)
        if len(points) == 0:
            return ~inside
        b = self.buffer
        for ring, (x0, y0, x1, y1) in zip(self.rings, self.boxes, strict=True):
            near = (
                ~inside
                & (points[:, 0] >= x0 - b)
                & (points[:, 0] <= x1 + b)
                & (points[:, 1] >= y0 - b)
                & (points[:, 1] <= y1 + b)
            )
            if not near.any():
                continue
            which = np.flatnonzero(near)
            candidates = points[which]
            hit = Polygon(ring).contains_points(candidates)
            if b > 0 and not hit.all():
                hit[~hit] = _distances(candidates[~hit], ring) <= b
            inside[which[hit]] = True
        return ~inside


def area_of(
    municipalities: frozenset[str], outlines: Outlines, buffer: float = BUFFER_METRES
) -> Area:
    """The area of a set of municipalities, projected once (the caller caches it)."""
    to_metres = Transformer.from_crs("EPSG:4326", SCAN_CRS, always_xy=True)
    rings: list[Points] = []
    for nis in sorted(municipalities):
        for ring in outlines.rings.get(nis, []):
            lon, lat = np.array(ring, dtype=np.float64).T
            x, y = to_metres.transform(lon, lat)
            rings.append(np.column_stack([x, y]).astype(np.float64))
    boxes = np.array(
        [[r[:, 0].min(), r[:, 1].min(), r[:, 0].max(), r[:, 1].max()] for r in rings],
        dtype=np.float64,
    ).reshape(-1, 4)
    return Area(municipalities, tuple(rings), boxes, buffer)


def describe(organisation: Organisation, buffer: float = BUFFER_METRES) -> str:
    """Why a record was refused, naming the organisation and the rule."""
    return (
        f"outside the territory of {organisation.name} ({organisation.key}): more than "
        f"{buffer / 1000:g} km from its municipalities; a token reports its own organisation's "
        "territory (regional and federal services report anywhere)"
    )
