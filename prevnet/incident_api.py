"""The incident API: police systems send incident records as JSON, with their organisation's token.

``POST /api/v1/incidents`` with ``Authorization: Bearer <token>`` and a body
``{"incidents": [{"time": "...", "lat": 50.45, "lon": 3.95, "type": "...", "modus": "...",
"id": "..."}]}`` (or ``x``/``y`` with ``crs``, or ``municipality``). The answer counts what was
added and what was already known, and gives every rejected record's index and reason. Records
are read exactly like CSV lines; sending the same records again adds nothing.

One request never holds up the rest of the process: the body is parsed, projected and checked
against the organisation's territory in a worker thread, coordinate systems come from a short
list (``ACCEPTED_CRS``, at most ``MAX_CRS`` in one request), and nesting is bounded. Records
further than ``BUFFER_METRES`` outside the token's organisation's territory are refused one by
one (regional and federal organisations report anywhere).
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import web

from bots.maps import Outlines
from phenomena.detection.projection import projector
from phenomena.incidents import SCAN_CRS, Incident, IncidentMapping, read_all
from phenomena.partners import Organisation
from phenomena.storage.incidents import SqlApiTokens, SqlIncidentStore
from phenomena.territory import TerritoryRegistry
from prevnet.incident_area import BUFFER_METRES, Area, area_of, covered_municipalities, describe

MAX_BODY = 5 * 1024 * 1024
MAX_RECORDS = 10_000
MAX_CRS = 4
"""At most this many different coordinate systems in one request."""
ACCEPTED_CRS = (
    "EPSG:3812",  # Belgian Lambert 2008 (the scan's own)
    "EPSG:31370",  # Belgian Lambert 72
    "EPSG:4326",  # WGS 84 longitude, latitude
    "EPSG:3857",  # web Mercator
    "EPSG:25831",  # ETRS89 / UTM 31N
    "EPSG:32631",  # WGS 84 / UTM 31N
)
MAPPING = IncidentMapping(
    time="time",
    x="x",
    y="y",
    lat="lat",
    lon="lon",
    municipality="municipality",
    type="type",
    modus="modus",
    id="id",
)
_SCALARS = (str, int, float, bool)


class _Refused(Exception):
    """The whole request is refused (a status and a message for the client)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@dataclass
class _Reading:
    """What the worker thread made of a body: incidents with their index, and rejections."""

    good: list[tuple[int, Incident]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _records(raw: bytes) -> list[Any]:
    try:
        body: Any = json.loads(raw)
    except RecursionError:
        raise _Refused(
            400, 'the body is nested too deeply: send {"incidents": [ flat records ]}'
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _Refused(400, f"the body is not JSON: {exc}") from None
    records = body.get("incidents") if isinstance(body, dict) else None
    if not isinstance(records, list):
        raise _Refused(400, 'the body must be {"incidents": [ ... ]}')
    if len(records) > MAX_RECORDS:
        raise _Refused(413, f"more than {MAX_RECORDS} records: send smaller batches")
    return records


def _crs_of(row: dict[str, str | None]) -> str:
    return (row.get("crs") or SCAN_CRS).strip().upper()


def read_body(
    raw: bytes,
    territories: TerritoryRegistry,
    area: Callable[[], Area | None],
    organisation: Organisation,
) -> _Reading:
    """Parse, project and place every record (in a worker thread: this is the slow part)."""
    reading = _Reading()
    rows: list[tuple[int, dict[str, str | None]]] = []
    for index, record in enumerate(_records(raw)):
        if not isinstance(record, dict):
            reading.rejected.append({"index": index, "reason": "a record must be a JSON object"})
            continue
        nested = sorted(k for k, v in record.items() if not (v is None or isinstance(v, _SCALARS)))
        if nested:
            reading.rejected.append(
                {"index": index, "reason": f"{nested[0]!r} must be a text or a number"}
            )
            continue
        rows.append((index, {k: None if v is None else str(v) for k, v in record.items()}))
    systems = Counter(_crs_of(row) for _, row in rows)
    if len(systems) > MAX_CRS:
        raise _Refused(
            400,
            f"{len(systems)} coordinate systems in one request; at most {MAX_CRS}: "
            "send one batch per system (" + ", ".join(ACCEPTED_CRS) + ")",
        )
    wgs84 = projector("EPSG:4326")
    for crs in sorted(systems):
        subset = [(i, row) for i, row in rows if _crs_of(row) == crs]
        if crs not in ACCEPTED_CRS:
            reason = (
                f"coordinate system {crs!r} is not accepted: use one of {', '.join(ACCEPTED_CRS)}"
            )
            reading.rejected += [{"index": i, "reason": reason} for i, _ in subset]
            continue
        ok, bad = read_all(subset, MAPPING, territories, projector(crs), wgs84)
        reading.good += ok
        reading.rejected += [{"index": i, "reason": reason} for i, reason in bad]
    where = area()
    if where is not None and reading.good:
        points = np.array([(inc.x, inc.y) for _, inc in reading.good], dtype=np.float64)
        outside = where.outside(points)
        reason = describe(organisation, where.buffer)
        reading.rejected += [
            {"index": i, "reason": reason}
            for (i, _), out in zip(reading.good, outside, strict=True)
            if out
        ]
        reading.good = [pair for pair, out in zip(reading.good, outside, strict=True) if not out]
    return reading


def incident_app(
    store: SqlIncidentStore,
    tokens: SqlApiTokens,
    territories: TerritoryRegistry,
    outlines: Callable[[], Outlines],
    buffer: float = BUFFER_METRES,
) -> web.Application:
    """The aiohttp application of the incident API (``outlines`` is called once, when needed)."""
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="incident-api")

    @functools.lru_cache(maxsize=256)
    def area(municipalities: frozenset[str]) -> Area:  # runs in the worker only
        return area_of(municipalities, outlines(), buffer)

    def area_of_organisation(organisation: Organisation) -> Callable[[], Area | None]:
        def get() -> Area | None:
            covered = covered_municipalities(organisation, territories)
            return None if covered is None else area(covered)

        return get

    async def receive(request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return _error(401, "send your organisation's token: Authorization: Bearer <token>")
        key = await tokens.organisation_of(header[7:].strip())
        if key is None:
            return _error(401, "unknown or revoked token: ask an administrator for a new one")
        organisation = await tokens.registered(key)
        if organisation is None:
            return _error(
                403, "the token's organisation is no longer in the registry: ask an administrator"
            )
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error(413, f"the body is larger than {MAX_BODY} bytes: send smaller batches")
        raw = await request.read()
        loop = asyncio.get_running_loop()
        try:
            reading = await loop.run_in_executor(
                worker,
                read_body,
                raw,
                territories,
                area_of_organisation(organisation),
                organisation,
            )
        except _Refused as refused:
            return _error(refused.status, refused.message)
        source = f"api:{organisation.key}"
        occurrences: Counter[tuple[object, ...]] = Counter()
        prints = []
        for _, incident in sorted(reading.good, key=lambda pair: pair[0]):
            same = (incident.occurred_on, incident.x, incident.y, incident.type, incident.modus)
            prints.append((incident, incident.fingerprint(source, occurrences[same])))
            occurrences[same] += 1
        added, known = await store.add(prints, source)
        return web.json_response(
            {
                "added": added,
                "known": known,
                "rejected": sorted(reading.rejected, key=lambda r: int(r["index"])),
            }
        )

    async def stop_worker(_: web.Application) -> None:
        worker.shutdown(wait=False, cancel_futures=True)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post("/api/v1/incidents", receive)
    app.on_cleanup.append(stop_worker)
    return app
