"""Where alerts go, by TLP label: the affected zones, their neighbours, the province."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from phenomena.alert import AlertContent
from phenomena.routing import room_alias_localpart, route_alert
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp


def content(territories: TerritoryRegistry, tlp: Tlp, *names: str) -> AlertContent:
    return AlertContent(
        type=PhenomenonType.RESIDENTIAL_BURGLARY,
        municipalities=tuple(territories.find_municipality(n).nis for n in names),
        period_start=date(2026, 11, 14),
        period_end=date(2026, 11, 20),
        tlp=tlp,
        summary="Wave of burglaries.",
    )


def neighbour_zones(territories: TerritoryRegistry, *names: str) -> set[str]:
    affected = {territories.find_municipality(n).nis for n in names}
    return {
        f"zone:{territories.municipalities[o].zone_key}"
        for nis in affected
        for o in territories.neighbours(nis)
        if o not in affected
    }


@pytest.mark.parametrize("tlp", [Tlp.RED, Tlp.AMBER_STRICT])
def test_red_and_amber_strict_stay_in_the_affected_zones(
    territories: TerritoryRegistry, tlp: Tlp
) -> None:
    route = route_alert(content(territories, tlp, "Mons", "Quévy"), territories)
    assert route.rooms == ("zone:5324",)
    assert route.targets[0].reasons == (
        "police zone of Mons (Bergen) (affected)",
        "police zone of Quévy (affected)",
    )


def test_amber_reaches_the_neighbours_zones_but_no_province(
    territories: TerritoryRegistry,
) -> None:
    route = route_alert(content(territories, Tlp.AMBER, "Mons"), territories)
    assert route.rooms[0] == "zone:5324"
    assert set(route.rooms) == {"zone:5324"} | neighbour_zones(territories, "Mons")
    assert {"zone:5327", "zone:5326", "zone:5325", "zone:m5332-5333"} <= set(route.rooms)
    assert not any(r.startswith("province:") for r in route.rooms)
    jurbise = next(t for t in route.targets if t.room == "zone:5326")
    assert jurbise.reasons == (
        "police zone of Jurbise (Jurbeke), neighbour of Mons (Bergen) (TLP:AMBER)",
    )


@pytest.mark.parametrize("tlp", [Tlp.GREEN, Tlp.CLEAR])
def test_green_and_clear_add_the_province(territories: TerritoryRegistry, tlp: Tlp) -> None:
    route = route_alert(content(territories, tlp, "Mons"), territories)
    assert "province:50000" in route.rooms
    assert set(route.rooms) - {"province:50000"} == {"zone:5324"} | neighbour_zones(
        territories, "Mons"
    )


def test_far_zones_are_not_reached(territories: TerritoryRegistry) -> None:
    route = route_alert(content(territories, Tlp.CLEAR, "Mons"), territories)
    ostend = territories.find_municipality("Oostende")
    assert f"zone:{ostend.zone_key}" not in route.rooms
    assert "province:30000" not in route.rooms


def test_an_area_across_a_province_border(territories: TerritoryRegistry) -> None:
    route = route_alert(content(territories, Tlp.GREEN, "Mons", "Namur"), territories)
    assert {"province:50000", "province:90000"} <= set(route.rooms)


def test_brussels_goes_to_the_region_room(territories: TerritoryRegistry) -> None:
    route = route_alert(content(territories, Tlp.GREEN, "Ixelles"), territories)
    assert "province:04000" in route.rooms


def test_routing_depends_only_on_area_and_tlp(territories: TerritoryRegistry) -> None:
    base = content(territories, Tlp.AMBER, "Mons")
    other = replace(base, summary="Something else", type=PhenomenonType.PHISHING)
    assert route_alert(base, territories) == route_alert(other, territories)


def test_alias_local_parts() -> None:
    assert room_alias_localpart("zone:5324") == "zone-5324"
    assert room_alias_localpart("province:50000") == "province-50000"
