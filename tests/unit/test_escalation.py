"""The pure escalation rules: timers by priority, the rota areas of a bulletin room, the
moderators of each level, what an escalation mail may carry, durations as people read them."""

from __future__ import annotations

from datetime import date, timedelta

from phenomena.alert import Alert, AlertContent, AlertStatus
from phenomena.email_policy import EmailShare
from phenomena.escalation import (
    Timers,
    duration_text,
    duty_areas,
    escalation_mail_share,
    level_moderators,
)
from phenomena.partners import Member, Organisation, OrganisationKind, Role, TerritoryKind
from phenomena.partners import TerritoryRef as Ref
from phenomena.priority import Priority
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp

K = OrganisationKind


def org(key: str, kind: OrganisationKind, territory: TerritoryKind, ref: str) -> Organisation:
    return Organisation(key, key, kind, (Ref(territory, ref),))


ORGS = {
    o.key: o
    for o in (
        org("zp", K.POLICE_ZONE, TerritoryKind.ZONE, "5324"),
        org("pz", K.POLICE_ZONE, TerritoryKind.ZONE, "5449"),
        org("wal", K.REGION, TerritoryKind.REGION, "03000"),
        org("fed", K.FEDERAL, TerritoryKind.COUNTRY, "belgium"),
    )
}


def moderator(name: str, org: str) -> Member:
    return Member(f"@{name}:x", name, org, frozenset({Role.MEMBER, Role.MODERATOR}))


def alert(tlp: Tlp, status: AlertStatus = AlertStatus.PENDING_MODERATION) -> Alert:
    content = AlertContent(PhenomenonType.VANDALISM, ("53053",), date(2026, 11, 1), None, tlp, "s")
    return Alert(7, content, "@author:x", "zp", status, recipients=("zp",))


def test_info_alerts_have_no_acknowledgement_timer() -> None:
    timers = Timers(ack_urgent=30, ack_normal=1440, moderation=60)
    assert timers.ack_after(Priority.URGENT) == timedelta(minutes=30)
    assert timers.ack_after(Priority.NORMAL) == timedelta(days=1)
    assert timers.ack_after(Priority.INFO) is None
    assert timers.moderation_after(2) == timedelta(hours=2)


def test_a_red_alerts_own_room_answers_to_the_zones_of_its_municipalities(
    territories: TerritoryRegistry,
) -> None:
    red = alert(Tlp.RED)
    assert duty_areas("alert:7", red, territories) == [("zone", "5324")]
    assert duty_areas("province:50000", red, territories) == [("province", "50000")]
    assert duty_areas("moderation", red, territories) == []


def test_levels_call_the_provinces_moderators_then_the_federal_ones(
    territories: TerritoryRegistry,
) -> None:
    members = [moderator(n, o) for n, o in (("claire", "zp"), ("pieter", "pz"), ("reg", "wal"))]
    members.append(moderator("anne", "fed"))
    pending = alert(Tlp.GREEN)
    assert level_moderators(pending, 1, members, ORGS, territories) == ["@claire:x"]
    assert level_moderators(pending, 2, members, ORGS, territories) == ["@anne:x"]


def test_escalation_mails_never_carry_amber_or_stricter_text() -> None:
    assert escalation_mail_share(alert(Tlp.GREEN)) is EmailShare.FULL
    for tlp in (Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED):
        assert escalation_mail_share(alert(tlp)) is EmailShare.NOTICE


def test_durations_read_as_people_say_them() -> None:
    assert duration_text(timedelta(seconds=15)) == "15 s"
    assert duration_text(timedelta(minutes=30)) == "30 min"
    assert duration_text(timedelta(hours=24)) == "24 h"
