"""Who may read an alert where (TLP), and who it has reached."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bots.alert_views import may_see
from phenomena.alert import Alert, AlertContent, AlertStatus
from phenomena.partners import (
    Member,
    Organisation,
    OrganisationKind,
    Role,
    TerritoryKind,
    TerritoryRef,
)
from phenomena.reach import ReachState, alert_reach
from phenomena.routing import route_alert
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp

ZP_MONS = Organisation(
    "zp-mons", "ZP Mons", OrganisationKind.POLICE_ZONE, (TerritoryRef(TerritoryKind.ZONE, "5324"),)
)
PCS_FRAMERIES = Organisation(
    "pcs-frameries",
    "Frameries",
    OrganisationKind.COMMUNE,
    (TerritoryRef(TerritoryKind.MUNICIPALITY, "53028"),),
)
PZ_OOSTENDE = Organisation(
    "pz-oostende",
    "Oostende",
    OrganisationKind.POLICE_ZONE,
    (TerritoryRef(TerritoryKind.ZONE, "5449"),),
)
ORGS = {o.key: o for o in (ZP_MONS, PCS_FRAMERIES, PZ_OOSTENDE)}


def member(name: str, org: str, *roles: Role) -> Member:
    return Member(f"@{name}:x", name, org, frozenset({Role.MEMBER, *roles}))


def alert(territories: TerritoryRegistry, tlp: Tlp) -> Alert:
    content = AlertContent(PhenomenonType.VANDALISM, ("53053",), date(2026, 11, 1), None, tlp, "s")
    return Alert(
        1,
        content,
        "@author:x",
        "zp-mons",
        AlertStatus.PUBLISHED,
        rooms=route_alert(content, territories).rooms,
    )


@pytest.mark.parametrize("tlp", [Tlp.RED, Tlp.AMBER_STRICT])
def test_red_is_read_only_inside_its_rooms(territories: TerritoryRegistry, tlp: Tlp) -> None:
    a = alert(territories, tlp)
    colleague = member("colleague", "zp-mons")
    moderator = member("mod", "pz-oostende", Role.MODERATOR, Role.ADMIN)
    assert may_see(a, colleague, ZP_MONS, "zone:5324", territories)
    assert not may_see(a, colleague, ZP_MONS, None, territories)  # a direct chat
    assert not may_see(a, colleague, ZP_MONS, "toolbox", territories)
    assert not may_see(a, moderator, PZ_OOSTENDE, "moderation", territories)
    assert may_see(a, member("author", "zp-mons"), ZP_MONS, None, territories)


def test_amber_is_read_by_the_routed_partners_anywhere(territories: TerritoryRegistry) -> None:
    a = alert(territories, Tlp.AMBER)
    assert may_see(a, member("f", "pcs-frameries"), PCS_FRAMERIES, None, territories)
    assert not may_see(a, member("o", "pz-oostende"), PZ_OOSTENDE, None, territories)
    assert may_see(a, member("o", "pz-oostende", Role.MODERATOR), PZ_OOSTENDE, None, territories)
    draft = replace(a, status=AlertStatus.DRAFT)
    assert not may_see(draft, member("f", "pcs-frameries"), PCS_FRAMERIES, None, territories)


def test_reach_per_organisation(territories: TerritoryRegistry) -> None:
    a = alert(territories, Tlp.AMBER)
    rows = alert_reach(a, ORGS.values(), territories, ["zone:5324"], {"zp-mons": ["@colleague:x"]})
    states = {r.key: r.state for r in rows}
    assert states == {"zp-mons": ReachState.SEEN, "pcs-frameries": ReachState.NOT_YET}
    assert rows[0].seen_by == ("@colleague:x",)
    delivered = alert_reach(a, ORGS.values(), territories, ["zone:5324", "zone:5327"], {})
    assert {r.key: r.state for r in delivered}["pcs-frameries"] is ReachState.DELIVERED
