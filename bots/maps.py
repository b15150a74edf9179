"""Pictures of a detected cluster: a map of where, a timeline of when (PNG, matplotlib)."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Polygon as PolygonPatch
from matplotlib.ticker import MaxNLocator

Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class Outlines:
    """Municipality outlines (lon, lat) by 2025 NIS code, from the NGI TopoJSON."""

    rings: Mapping[str, list[Ring]]


def read_outlines(topojson: str, merged_into: Mapping[str, str]) -> Outlines:
    """Decode the quantized, delta-encoded TopoJSON; 2019 shapes are filed under their 2025 code."""
    topology: dict[str, Any] = json.loads(topojson)
    scale_x, scale_y = topology["transform"]["scale"]
    shift_x, shift_y = topology["transform"]["translate"]
    arcs: list[Ring] = []
    for arc in topology["arcs"]:
        x = y = 0
        points: Ring = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(points)

    def ring(indices: Iterable[int]) -> Ring:
        out: Ring = []
        for i in indices:
            part = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
            out.extend(part if not out else part[1:])
        return out

    rings: dict[str, list[Ring]] = {}
    for geometry in topology["objects"]["layer"]["geometries"]:
        nis = merged_into.get(geometry["properties"]["AdMuKey"], geometry["properties"]["AdMuKey"])
        polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
        for polygon in polygons:
            rings.setdefault(nis, []).append(ring(polygon[0]))
    return Outlines(rings)


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def timeline_chart(
    days: Sequence[date], counts: Sequence[int], first: date, last: date, title: str
) -> bytes:
    """Incidents a day in the cluster's area, the cluster's period shaded."""
    figure = Figure(figsize=(6.4, 2.6), dpi=100)
    axes = figure.subplots()
    positions = list(range(len(days)))
    axes.bar(positions, list(counts), color="#1f77b4", width=0.9)
    inside = [i for i, d in enumerate(days) if first <= d <= last]
    if inside:
        axes.axvspan(inside[0] - 0.5, inside[-1] + 0.5, color="#FFC000", alpha=0.3, label="cluster")
        axes.legend(fontsize=7, loc="upper left")
    ticks = positions[::7]
    axes.set_xticks(ticks, [f"{days[i]:%d/%m}" for i in ticks], fontsize=7)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(title, fontsize=10)
    return _png(figure)


def cluster_map(
    outlines: Outlines | None,
    highlight: Iterable[str],
    points: Sequence[tuple[float, float]],
    centre: tuple[float, float],
    radius_metres: float,
    title: str,
) -> bytes:
    """The cluster's incidents and circle over the municipalities around it."""
    figure = Figure(figsize=(5.0, 5.0), dpi=100)
    axes = figure.subplots()
    lon0, lat0 = centre
    half = max(6000.0, 5 * radius_metres)  # enough to show the neighbouring municipalities
    dlat = half / 111_200
    dlon = half / (111_200 * math.cos(math.radians(lat0)))
    box = (lon0 - dlon, lon0 + dlon, lat0 - dlat, lat0 + dlat)
    marked = set(highlight)
    if outlines is not None:
        for nis, rings in outlines.rings.items():
            for shape in rings:
                xs, ys = [x for x, _ in shape], [y for _, y in shape]
                if max(xs) < box[0] or min(xs) > box[1] or max(ys) < box[2] or min(ys) > box[3]:
                    continue  # shapes are coarse: compare extents, not vertices
                axes.add_patch(
                    PolygonPatch(
                        shape,
                        closed=True,
                        fill=nis in marked,
                        facecolor="#FFE9A8",
                        edgecolor="#666666",
                        linewidth=0.6,
                    )
                )
    angles = [2 * math.pi * i / 64 for i in range(65)]
    rlat = radius_metres / 111_200
    rlon = radius_metres / (111_200 * math.cos(math.radians(lat0)))
    axes.plot(
        [lon0 + rlon * math.cos(a) for a in angles],
        [lat0 + rlat * math.sin(a) for a in angles],
        color="#D62728",
        linewidth=1.2,
    )
    if points:
        axes.scatter([p[0] for p in points], [p[1] for p in points], s=12, color="#D62728")
    axes.set_xlim(box[0], box[1])
    axes.set_ylim(box[2], box[3])
    axes.set_aspect(1 / math.cos(math.radians(lat0)))
    axes.set_title(title, fontsize=10)
    axes.tick_params(labelsize=7)
    return _png(figure)
