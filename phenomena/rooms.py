"""Which rooms the network has and who belongs in each: a pure function of the registry.

Rooms exist for the territories that registered partners cover (an empty zone needs no room):

- a space for the network, and one per province (the Brussels region counts as one);
- an alert room per police zone: its police and the prevention services of its communes;
- a room per province: every partner in the province, regional partners for their provinces
  and federal partners for all;
- ``#moderation`` (moderators), ``#toolbox`` (everyone), ``#admin`` (admins).

Power levels follow roles: the bot and admins 100 (they alone change room state), moderators 50
(they may redact), members 0.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from phenomena.partners import Member, Organisation, Role, TerritoryKind
from phenomena.routing import province_room, room_alias_localpart, zone_room
from phenomena.territory import TerritoryRegistry

NETWORK_SPACE = "space:network"
MODERATION = "moderation"
TOOLBOX = "toolbox"
ADMIN = "admin"

POWER_ADMIN = 100
POWER_MODERATOR = 50
POWER_MEMBER = 0


class RoomKind(enum.Enum):
    """What a room is for."""

    SPACE = "space"
    ZONE = "zone"
    PROVINCE = "province"
    MODERATION = "moderation"
    TOOLBOX = "toolbox"
    ADMIN = "admin"


def province_space(province_nis: str) -> str:
    """The key of a province's space."""
    return f"space:province:{province_nis}"


@dataclass(frozen=True)
class RoomSpec:
    """A room as prevnet wants it to be."""

    key: str
    kind: RoomKind
    name: str
    topic: str
    parent: str | None

    @property
    def alias_localpart(self) -> str:
        """``zone-5324``, ``province-50000``, ``space-province-50000``, ``moderation`` ..."""
        return room_alias_localpart(self.key).replace(":", "-")


def power_level(member: Member) -> int:
    """The power level a member's roles give in every room they are in."""
    if Role.ADMIN in member.roles:
        return POWER_ADMIN
    if Role.MODERATOR in member.roles:
        return POWER_MODERATOR
    return POWER_MEMBER


def _zones_and_provinces(
    organisation: Organisation, territories: TerritoryRegistry
) -> tuple[set[str], set[str]]:
    zones: set[str] = set()
    provinces: set[str] = set()
    for ref in organisation.territories:
        if ref.kind is TerritoryKind.MUNICIPALITY and ref.key in territories.municipalities:
            m = territories.municipalities[ref.key]
            zones.add(m.zone_key)
            provinces.add(m.province_nis)
        elif ref.kind is TerritoryKind.ZONE and ref.key in territories.zones:
            zones.add(ref.key)
            provinces |= {
                territories.municipalities[n].province_nis
                for n in territories.zones[ref.key].municipalities
            }
        elif ref.kind is TerritoryKind.PROVINCE:
            provinces.add(ref.key)
        elif ref.kind is TerritoryKind.REGION:
            provinces |= {p.nis for p in territories.provinces.values() if p.region_nis == ref.key}
        elif ref.kind is TerritoryKind.COUNTRY:
            provinces |= set(territories.provinces)
    return zones, provinces


def organisation_rooms(organisation: Organisation, territories: TerritoryRegistry) -> set[str]:
    """The territory rooms (zone and province) an organisation's members belong in."""
    zones, provinces = _zones_and_provinces(organisation, territories)
    return {zone_room(z) for z in zones} | {province_room(p) for p in provinces}


def member_rooms(
    member: Member, organisation: Organisation | None, territories: TerritoryRegistry
) -> frozenset[str]:
    """Every room (and space) a member belongs in; nothing for a member who is not active."""
    if not member.is_active or organisation is None:
        return frozenset()
    rooms = organisation_rooms(organisation, territories)
    rooms |= {NETWORK_SPACE, TOOLBOX}
    for key in list(rooms):
        if key.startswith("province:"):
            rooms.add(province_space(key.split(":", 1)[1]))
        elif key.startswith("zone:"):
            zone = territories.zones.get(key.split(":", 1)[1])
            if zone is not None:
                rooms |= {
                    province_space(territories.municipalities[n].province_nis)
                    for n in zone.municipalities
                }
    if Role.MODERATOR in member.roles or Role.ADMIN in member.roles:
        rooms.add(MODERATION)
    if Role.ADMIN in member.roles:
        rooms.add(ADMIN)
    return frozenset(rooms)


def room_catalogue(
    organisations: Iterable[Organisation], territories: TerritoryRegistry
) -> dict[str, RoomSpec]:
    """The rooms the registry needs: fixed rooms, and those of covered zones and provinces."""
    specs: dict[str, RoomSpec] = {
        NETWORK_SPACE: RoomSpec(
            NETWORK_SPACE, RoomKind.SPACE, "prevnet", "The crime-prevention partners' network", None
        ),
        MODERATION: RoomSpec(
            MODERATION,
            RoomKind.MODERATION,
            "Moderation",
            "Alerts waiting for a moderator's approval",
            NETWORK_SPACE,
        ),
        TOOLBOX: RoomSpec(
            TOOLBOX,
            RoomKind.TOOLBOX,
            "Toolbox",
            "New prevention material from the intranet toolbox",
            NETWORK_SPACE,
        ),
        ADMIN: RoomSpec(
            ADMIN,
            RoomKind.ADMIN,
            "Administration",
            "Membership administration: type !help",
            NETWORK_SPACE,
        ),
    }
    keys: set[str] = set()
    for organisation in organisations:
        keys |= organisation_rooms(organisation, territories)
    for key in sorted(keys):
        kind, _, code = key.partition(":")
        if kind == "zone":
            zone = territories.zones[code]
            province = territories.municipalities[zone.municipalities[0]].province_nis
            space = province_space(province)
            specs[key] = RoomSpec(
                key,
                RoomKind.ZONE,
                f"Zone {zone.name} ({zone.key})",
                f"Phenomenon alerts for police zone {zone.name}",
                space,
            )
        else:
            space = province_space(code)
            name = territories.provinces[code].name
            specs[key] = RoomSpec(
                key, RoomKind.PROVINCE, name, f"Phenomenon alerts for {name}", space
            )
        if space not in specs:
            p = territories.provinces[space.rsplit(":", 1)[1]]
            specs[space] = RoomSpec(
                space, RoomKind.SPACE, p.name, f"Partners in {p.name}", NETWORK_SPACE
            )
    return specs


def desired_membership(
    members: Iterable[Member],
    organisations: Mapping[str, Organisation],
    territories: TerritoryRegistry,
) -> dict[str, frozenset[str]]:
    """Every active member's rooms, by Matrix ID."""
    return {
        m.matrix_id: member_rooms(m, organisations.get(m.organisation), territories)
        for m in members
        if m.is_active
    }


def room_languages(key: str, territories: TerritoryRegistry) -> tuple[str, ...]:
    """The languages a room's notices are written in (ISO 639-1), or () for the default.

    A zone room speaks its zone's language area (Brussels zones: French and Dutch); a province
    room the language of most of its municipalities (Brussels: both). National rooms have none:
    they use the deployment's default.
    """
    kind, _, code = key.partition(":")
    if kind == "zone" and code in territories.zones:
        return tuple(lang.value for lang in territories.zones[code].languages)
    if kind == "province" and code in territories.provinces:
        counts: dict[str, int] = {}
        for m in territories.municipalities.values():
            if m.province_nis == code and m.languages:
                for lang in m.languages if len(m.languages) > 1 else m.languages[:1]:
                    counts[lang.value] = counts.get(lang.value, 0) + 1
        if not counts:
            return ()
        top = max(counts.values())
        return tuple(sorted((lang for lang, n in counts.items() if n == top), reverse=False))
    return ()
