"""TLP as a flow rule: four eyes, home territory, widening, who may change, read and decide."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from phenomena.alert import Alert, AlertContent, AlertStatus
from phenomena.audience import (
    default_recipients,
    home_area,
    may_change,
    may_moderate,
    may_read,
    room_may_show,
    widening,
)
from phenomena.partners import (
    Member,
    Organisation,
    OrganisationKind,
    Role,
    TerritoryKind,
    TerritoryRef,
)
from phenomena.routing import route_alert
from phenomena.services.alerts import ModerationPolicy
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp

ZP_MONS = Organisation(
    "zp-mons", "ZP Mons", OrganisationKind.POLICE_ZONE, (TerritoryRef(TerritoryKind.ZONE, "5324"),)
)
ZP_BORAINE = Organisation(
    "zp-boraine",
    "ZP Boraine",
    OrganisationKind.POLICE_ZONE,
    (TerritoryRef(TerritoryKind.ZONE, "5327"),),
)
PZ_OOSTENDE = Organisation(
    "pz-oostende",
    "Oostende",
    OrganisationKind.POLICE_ZONE,
    (TerritoryRef(TerritoryKind.ZONE, "5449"),),
)
PCS_MONS = Organisation(
    "pcs-mons",
    "PSSP Mons",
    OrganisationKind.COMMUNE,
    (TerritoryRef(TerritoryKind.MUNICIPALITY, "53053"),),
)
ORGS = {o.key: o for o in (ZP_MONS, ZP_BORAINE, PZ_OOSTENDE, PCS_MONS)}


def member(name: str, org: str, *roles: Role) -> Member:
    return Member(f"@{name}:x", name, org, frozenset({Role.MEMBER, *roles}))


def content(territories: TerritoryRegistry, tlp: Tlp, *places: str) -> AlertContent:
    nis = tuple(territories.find_municipality(p).nis for p in places)
    return AlertContent(PhenomenonType.VANDALISM, nis, date(2026, 11, 1), None, tlp, "s")


def published(territories: TerritoryRegistry, tlp: Tlp, *places: str) -> Alert:
    c = content(territories, tlp, *places)
    a = Alert(5, c, "@author:x", "zp-mons", AlertStatus.PUBLISHED)
    a.recipients = default_recipients(c, "zp-mons", ORGS.values(), territories)
    a.rooms = route_alert(c, territories, alert_id=5, recipients=a.recipients).rooms
    return a


def test_police_publish_alone_at_home_and_next_door_only(territories: TerritoryRegistry) -> None:
    policy = ModerationPolicy()
    home = home_area(ZP_MONS, territories)
    police = OrganisationKind.POLICE_ZONE
    assert not policy.needs_moderation(content(territories, Tlp.AMBER, "Mons"), police, home)
    # Frameries borders Mons (zone Boraine): still next door
    assert "53028" in home
    assert not policy.needs_moderation(content(territories, Tlp.AMBER, "Frameries"), police, home)
    assert policy.needs_moderation(content(territories, Tlp.AMBER, "Oostende"), police, home)
    assert policy.needs_moderation(
        content(territories, Tlp.AMBER, "Mons", "Oostende"), police, home
    )
    assert policy.needs_moderation(content(territories, Tlp.AMBER, "Mons"), police, None)


def test_four_eyes_the_author_never_decides(territories: TerritoryRegistry) -> None:
    a = replace(published(territories, Tlp.AMBER, "Mons"), status=AlertStatus.PENDING_MODERATION)
    author = Member("@author:x", "a", "zp-mons", frozenset({Role.AUTHOR, Role.MODERATOR}))
    assert not may_moderate(a, author, ZP_MONS, territories)
    assert may_moderate(a, member("other", "pz-oostende", Role.MODERATOR), PZ_OOSTENDE, territories)


def test_red_goes_to_a_room_of_its_own_for_its_recipients(territories: TerritoryRegistry) -> None:
    c = replace(content(territories, Tlp.RED, "Mons"), recipients=("pcs-mons",))
    recipients = default_recipients(c, "pcs-mons", ORGS.values(), territories)
    assert recipients == ("pcs-mons", "zp-mons")  # the author's organisation, the zone's police
    route = route_alert(c, territories, alert_id=7, recipients=recipients)
    assert route.rooms == ("alert:7",)
    assert "pcs-mons, zp-mons" in route.targets[0].reasons[0]
    assert route_alert(c, territories).rooms == ("zone:5324",)  # checking a text: no number


def test_a_red_alert_is_read_and_decided_by_its_recipients_only(
    territories: TerritoryRegistry,
) -> None:
    a = published(territories, Tlp.RED, "Mons")
    far_moderator = member("far", "pz-oostende", Role.MODERATOR, Role.AUTHOR)
    assert not may_read(a, far_moderator, PZ_OOSTENDE, territories)
    assert not may_change(a, far_moderator, PZ_OOSTENDE, territories)
    pending = replace(a, status=AlertStatus.PENDING_MODERATION)
    assert not may_moderate(pending, far_moderator, PZ_OOSTENDE, territories)
    zone_moderator = member("mod", "zp-mons", Role.MODERATOR)
    assert may_moderate(pending, zone_moderator, ZP_MONS, territories)
    # a commune's prevention service is not a recipient of a RED alert by default
    assert not may_read(a, member("p", "pcs-mons", Role.MODERATOR), PCS_MONS, territories)


def test_a_moderator_of_another_zone_may_not_change_its_text(
    territories: TerritoryRegistry,
) -> None:
    a = published(territories, Tlp.AMBER, "Mons")
    far = member("far", "pz-oostende", Role.MODERATOR, Role.AUTHOR)
    assert may_read(a, far, PZ_OOSTENDE, territories)  # moderators read AMBER
    assert not may_change(a, far, PZ_OOSTENDE, territories)
    assert may_change(a, member("near", "pcs-mons", Role.MODERATOR), PCS_MONS, territories)
    assert may_change(a, member("colleague", "zp-mons", Role.AUTHOR), ZP_MONS, territories)
    assert not may_change(a, member("reader", "zp-mons"), ZP_MONS, territories)


@pytest.mark.parametrize(
    ("change", "wider"),
    [
        ({"tlp": Tlp.GREEN}, ("tlp",)),
        ({"tlp": Tlp.RED}, ()),  # stricter: refused elsewhere, never a widening
        ({"summary": "other words"}, ()),
        ({"municipalities": ("53053", "35013")}, ("area",)),
        ({"municipalities": ()}, ()),
        ({"recipients": ("pz-oostende",)}, ("recipients",)),
    ],
)
def test_what_widens_an_alert(
    territories: TerritoryRegistry, change: dict[str, object], wider: tuple[str, ...]
) -> None:
    old = content(territories, Tlp.AMBER, "Mons")
    new = replace(old, **change)  # type: ignore[arg-type]
    assert widening(old, new) == wider


def test_more_recipients_widen(territories: TerritoryRegistry) -> None:
    old = content(territories, Tlp.RED, "Mons")
    assert widening(old, old, ("zp-mons",), ("zp-mons", "pz-oostende")) == ("recipients",)
    assert widening(old, old, ("zp-mons", "pz-oostende"), ("zp-mons",)) == ()


def test_an_answer_is_judged_by_everyone_who_reads_the_room(
    territories: TerritoryRegistry,
) -> None:
    red = published(territories, Tlp.RED, "Mons")
    officer = member("officer", "zp-mons")
    author = Member("@author:x", "a", "zp-mons", frozenset({Role.AUTHOR}))
    assert room_may_show(red, "alert:5", [(officer, ZP_MONS)], territories)
    assert not room_may_show(red, "toolbox", [(author, ZP_MONS), (officer, ZP_MONS)], territories)
    assert room_may_show(red, None, [(author, ZP_MONS)], territories)  # the author's own chat
    assert not room_may_show(red, None, [(officer, ZP_MONS)], territories)
    amber = published(territories, Tlp.AMBER, "Mons")
    ostend = member("o", "pz-oostende")
    assert room_may_show(amber, "zone:5324", [(officer, ZP_MONS)], territories)
    assert not room_may_show(amber, None, [(officer, ZP_MONS), (ostend, PZ_OOSTENDE)], territories)
    assert not room_may_show(amber, None, [(officer, ZP_MONS), (None, None)], territories)
    draft = replace(amber, status=AlertStatus.DRAFT)
    assert not room_may_show(
        draft, "zone:5324", [(author, ZP_MONS), (officer, ZP_MONS)], territories
    )
    assert room_may_show(draft, None, [(author, ZP_MONS)], territories)
