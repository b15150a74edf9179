"""The incident API: police systems send incident records as JSON, with their organisation's token.

``POST /api/v1/incidents`` with ``Authorization: Bearer <token>`` and a body
``{"incidents": [{"time": "...", "lat": 50.45, "lon": 3.95, "type": "...", "modus": "...",
"id": "..."}]}`` (or ``x``/``y`` with ``crs``, or ``municipality``). The answer counts what was
added and what was already known, and gives every rejected record's index and reason. Records
are read exactly like CSV lines; sending the same records again adds nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from aiohttp import web

from phenomena.detection.projection import projector
from phenomena.errors import DomainError
from phenomena.incidents import SCAN_CRS, IncidentMapping, read_all
from phenomena.storage.incidents import SqlApiTokens, SqlIncidentStore
from phenomena.territory import TerritoryRegistry

MAX_BODY = 5 * 1024 * 1024
MAX_RECORDS = 10_000
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


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def incident_app(
    store: SqlIncidentStore, tokens: SqlApiTokens, territories: TerritoryRegistry
) -> web.Application:
    """The aiohttp application of the incident API."""

    async def receive(request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return _error(401, "send your organisation's token: Authorization: Bearer <token>")
        organisation = await tokens.organisation_of(header[7:].strip())
        if organisation is None:
            return _error(401, "unknown or revoked token: ask an administrator for a new one")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error(413, f"the body is larger than {MAX_BODY} bytes: send smaller batches")
        try:
            body: Any = json.loads(await request.text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return _error(400, f"the body is not JSON: {exc}")
        records = body.get("incidents") if isinstance(body, dict) else None
        if not isinstance(records, list):
            return _error(400, 'the body must be {"incidents": [ ... ]}')
        if len(records) > MAX_RECORDS:
            return _error(413, f"more than {MAX_RECORDS} records: send smaller batches")
        rows: list[tuple[int, dict[str, str | None]]] = []
        rejected: list[dict[str, Any]] = []
        for index, record in enumerate(records):
            if not isinstance(record, dict):
                rejected.append({"index": index, "reason": "a record must be a JSON object"})
                continue
            rows.append((index, {k: None if v is None else str(v) for k, v in record.items()}))
        crs_of = {index: row.get("crs") or SCAN_CRS for index, row in rows}
        good = []
        for crs in set(crs_of.values()):
            try:
                project = projector(crs)
            except DomainError as exc:
                rejected += [
                    {"index": i, "reason": str(exc)} for i, c in crs_of.items() if c == crs
                ]
                continue
            subset = [(i, row) for i, row in rows if crs_of[i] == crs]
            ok, bad = read_all(subset, MAPPING, territories, project, projector("EPSG:4326"))
            good += ok
            rejected += [{"index": i, "reason": reason} for i, reason in bad]
        source = f"api:{organisation}"
        occurrences: Counter[tuple[object, ...]] = Counter()
        prints = []
        for _, incident in sorted(good, key=lambda pair: pair[0]):
            key = (incident.occurred_on, incident.x, incident.y, incident.type, incident.modus)
            prints.append((incident, incident.fingerprint(source, occurrences[key])))
            occurrences[key] += 1
        added, known = await store.add(prints, source)
        return web.json_response(
            {
                "added": added,
                "known": known,
                "rejected": sorted(rejected, key=lambda r: int(r["index"])),
            }
        )

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post("/api/v1/incidents", receive)
    return app
