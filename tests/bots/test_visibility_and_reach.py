"""Who may read an alert where (TLP), and who it has reached."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from phenomena.alert import Alert, AlertContent, AlertStatus
from phenomena.audience import room_may_show
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


def shows(a: Alert, room: str | None, territories: TerritoryRegistry, *readers: Member) -> bool:
    """Whether an answer about ``a`` may be posted in ``room`` read by ``readers``."""
    audience = [(r, ORGS.get(r.organisation)) for r in readers]
    return room_may_show(a, room, audience, territories)


@pytest.mark.parametrize("tlp", [Tlp.RED, Tlp.AMBER_STRICT])
def test_red_is_read_only_inside_its_rooms(territories: TerritoryRegistry, tlp: Tlp) -> None:
    a = alert(territories, tlp)
    colleague = member("colleague", "zp-mons")
    moderator = member("mod", "pz-oostende", Role.MODERATOR, Role.ADMIN)
    assert shows(a, "zone:5324", territories, colleague)
    assert not shows(a, None, territories, colleague)  # a direct chat
    assert not shows(a, "toolbox", territories, colleague)
    assert not shows(a, "moderation", territories, moderator)
    assert shows(a, None, territories, member("author", "zp-mons"))
    # the author typing in a shared room: the room reads the answer, not the author alone
    assert not shows(a, "toolbox", territories, member("author", "zp-mons"), colleague)


def test_amber_is_read_by_the_routed_partners_anywhere(territories: TerritoryRegistry) -> None:
    a = alert(territories, Tlp.AMBER)
    frameries = member("f", "pcs-frameries")
    ostend = member("o", "pz-oostende")
    assert shows(a, None, territories, frameries)
    assert not shows(a, None, territories, ostend)
    assert shows(a, None, territories, member("o", "pz-oostende", Role.MODERATOR))
    draft = replace(a, status=AlertStatus.DRAFT)
    assert not shows(draft, None, territories, frameries)
    # a room shared with another zone: one reader who may not read it is enough to refuse
    assert shows(a, "zone:5327", territories, frameries, member("author", "zp-mons"))
    assert not shows(a, "province:50000", territories, frameries, ostend)
    assert not shows(a, "toolbox", territories)  # nobody known: nothing shown


def test_reach_per_organisation(territories: TerritoryRegistry) -> None:
    a = alert(territories, Tlp.AMBER)
    rows = alert_reach(a, ORGS.values(), territories, ["zone:5324"], {"zp-mons": ["@colleague:x"]})
    states = {r.key: r.state for r in rows}
    assert states == {"zp-mons": ReachState.SEEN, "pcs-frameries": ReachState.NOT_YET}
    assert rows[0].seen_by == ("@colleague:x",)
    delivered = alert_reach(a, ORGS.values(), territories, ["zone:5324", "zone:5327"], {})
    assert {r.key: r.state for r in delivered}["pcs-frameries"] is ReachState.DELIVERED
