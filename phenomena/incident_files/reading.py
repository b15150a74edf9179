"""A whole incident table read into incidents and rejected lines, the dates decided as a whole.

The date order is decided from the entire time column before any line is read, so that
``AmbiguousDates`` stops an import before anything is stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from phenomena.errors import DomainError
from phenomena.incident_files.dates import choose_reader
from phenomena.incident_files.problems import LineProblems, as_problem
from phenomena.incident_files.report import Rejection
from phenomena.incident_files.table import Table
from phenomena.incidents import Incident, IncidentMapping, Projector, read_incident
from phenomena.territory import TerritoryRegistry

PROGRESS_EVERY = 500


@dataclass(frozen=True)
class Reading:
    """The incidents of a table with their line, and the lines rejected with their problems."""

    incidents: list[tuple[int, Incident]]
    rejected: list[Rejection]


def read_table(
    table: Table,
    mapping: IncidentMapping,
    territories: TerritoryRegistry,
    from_source_crs: Projector,
    from_wgs84: Projector,
    progress: Callable[[int], None] | None = None,
) -> Reading:
    """Every record of the table read (AmbiguousDates first when the date order is unclear)."""
    well_shaped = [r for r in table.records if table.shape_problem(r) is None]
    column = table.header.index(mapping.time)
    reader = choose_reader(
        ((r.line, r.fields[column]) for r in well_shaped), mapping.time, mapping.time_format
    )
    incidents: list[tuple[int, Incident]] = []
    rejected: list[Rejection] = []
    for done, record in enumerate(table.records, 1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
        shape = table.shape_problem(record)
        if shape is not None:
            rejected.append(Rejection(record, (shape,)))
            continue
        try:
            incident = read_incident(
                table.row(record),
                mapping,
                territories,
                from_source_crs,
                from_wgs84,
                reader.read,
            )
        except LineProblems as exc:
            rejected.append(Rejection(record, exc.problems))
        except DomainError as exc:
            rejected.append(Rejection(record, (as_problem(exc),)))
        else:
            incidents.append((record.line, incident))
    if progress is not None:
        progress(len(table.records) % PROGRESS_EVERY)
    return Reading(incidents, rejected)


def fingerprinted(
    incidents: Sequence[tuple[int, Incident]], source: str
) -> list[tuple[Incident, str]]:
    """Each incident with its stable identity; identical lines count as separate copies."""
    occurrences: Counter[tuple[object, ...]] = Counter()
    prints = []
    for _, incident in incidents:
        key = (incident.occurred_on, incident.x, incident.y, incident.type, incident.modus)
        prints.append((incident, incident.fingerprint(source, occurrences[key])))
        occurrences[key] += 1
    return prints
