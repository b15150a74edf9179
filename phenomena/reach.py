"""Who an alert has reached: per routed organisation, delivered, seen, or not yet.

Partners' main complaint about social media is that nobody can tell who has read a warning;
this answers it from the bulletins sent and the acknowledgements (reactions) received.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from phenomena.alert import Alert
from phenomena.partners import Organisation
from phenomena.rooms import organisation_rooms
from phenomena.territory import TerritoryRegistry


class ReachState(enum.Enum):
    """How far an alert got with one organisation."""

    SEEN = "seen"
    DELIVERED = "delivered"
    NOT_YET = "not yet"


@dataclass(frozen=True)
class OrganisationReach:
    """One routed organisation and how far the alert got with it."""

    key: str
    name: str
    state: ReachState
    seen_by: tuple[str, ...]
    rooms: tuple[str, ...]


def alert_reach(
    alert: Alert,
    organisations: Iterable[Organisation],
    territories: TerritoryRegistry,
    delivered_rooms: Iterable[str],
    acknowledgements: Mapping[str, Sequence[str]],
) -> list[OrganisationReach]:
    """Every organisation with a member in a routed room; seen first, then delivered, then not."""
    routed = set(alert.rooms)
    delivered = set(delivered_rooms)
    rows: list[OrganisationReach] = []
    for org in organisations:
        rooms = sorted(organisation_rooms(org, territories) & routed)
        if not rooms:
            continue
        seen_by = tuple(sorted(acknowledgements.get(org.key, ())))
        if seen_by:
            state = ReachState.SEEN
        elif delivered & set(rooms):
            state = ReachState.DELIVERED
        else:
            state = ReachState.NOT_YET
        rows.append(OrganisationReach(org.key, org.name, state, seen_by, tuple(rooms)))
    order = list(ReachState)
    return sorted(rows, key=lambda r: (order.index(r.state), r.key))
