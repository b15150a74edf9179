"""Where an alert goes: a pure function from its content and the territories to rooms, with why.

The rules (TLP 2.0 decides how far an alert may travel):

- every alert goes to the police-zone rooms of the affected municipalities;
- AMBER, GREEN and CLEAR also go to the zone rooms of the municipalities bordering them;
- GREEN and CLEAR also go to the province room of each affected municipality (the
  Brussels-Capital Region stands in for a province);
- AMBER+STRICT stays in the affected zones' rooms;
- RED goes to a room of its own (``alert:<id>``), made for exactly its recipients: the police
  of the affected zones, the author's organisation and the organisations the author names.
"""

from __future__ import annotations

from dataclasses import dataclass

from phenomena.alert import AlertContent
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp


def zone_room(zone_key: str) -> str:
    """The room key of a police zone's alert room."""
    return f"zone:{zone_key}"


def province_room(province_nis: str) -> str:
    """The room key of a province's (or the Brussels region's) room."""
    return f"province:{province_nis}"


def alert_room(alert_id: int) -> str:
    """The room key of a TLP:RED alert's own room."""
    return f"alert:{alert_id}"


def room_alias_localpart(room_key: str) -> str:
    """The alias local part of a room key: ``zone:5324`` becomes ``zone-5324``."""
    kind, _, key = room_key.partition(":")
    return f"{kind}-{key}" if key else kind


@dataclass(frozen=True)
class RouteTarget:
    """One room an alert goes to, and every reason it goes there."""

    room: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    """The rooms an alert goes to, affected zones first."""

    targets: tuple[RouteTarget, ...]

    @property
    def rooms(self) -> tuple[str, ...]:
        """The room keys, in order."""
        return tuple(t.room for t in self.targets)


def route_alert(
    content: AlertContent,
    territories: TerritoryRegistry,
    *,
    alert_id: int | None = None,
    recipients: tuple[str, ...] = (),
) -> Route:
    """Decide the rooms of an alert from its area and TLP label.

    A RED alert with its number goes to its own room only (``recipients`` names who it is made
    for, for the reason shown); without a number (checking a text) it shows the zone rooms.
    """
    if content.tlp is Tlp.RED and alert_id is not None:
        who = ", ".join(recipients) if recipients else "its recipients"
        reason = f"a room of its own for {content.tlp.label}, with exactly {who}"
        return Route((RouteTarget(alert_room(alert_id), (reason,)),))
    reasons: dict[str, list[str]] = {}

    def add(room: str, reason: str) -> None:
        bucket = reasons.setdefault(room, [])
        if reason not in bucket:
            bucket.append(reason)

    affected = content.municipalities
    for nis in affected:
        m = territories.municipalities[nis]
        add(zone_room(m.zone_key), f"police zone of {m.name} (affected)")
    if content.tlp in (Tlp.AMBER, Tlp.GREEN, Tlp.CLEAR):
        affected_set = set(affected)
        for nis in affected:
            m = territories.municipalities[nis]
            for other in territories.neighbours(nis):
                if other in affected_set:
                    continue
                n = territories.municipalities[other]
                add(
                    zone_room(n.zone_key),
                    f"police zone of {n.name}, neighbour of {m.name} ({content.tlp.label})",
                )
    if content.tlp in (Tlp.GREEN, Tlp.CLEAR):
        for nis in affected:
            province = territories.province_of(nis)
            add(province_room(province.nis), f"province {province.name} ({content.tlp.label})")
    return Route(tuple(RouteTarget(room, tuple(why)) for room, why in reasons.items()))
