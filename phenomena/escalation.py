"""Escalation: who is called, and how, when an alert is left unacknowledged or unmoderated.

An urgent or normal alert that no routed organisation acknowledges within its ``ack`` minutes
calls the on-duty members of its bulletin rooms' areas (a mention in each bulletin's thread,
then an e-mail); an alert still pending after ``moderation`` minutes calls the moderators of
its province (level 1), then, as long again later, the federal moderators (level 2). Info
alerts never escalate. Each step is recorded once, with whom it called and whom it held back
(their notification preferences), in the same commit that queues :class:`EscalationFired`.

Pure rules only: the scheduler job (``prevnet.escalation_job``) reads the state and records the
steps, the outbox handlers post and mail what a step recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from phenomena.alert import Alert
from phenomena.audience import eligible_moderators, entitled, municipalities_of
from phenomena.email_policy import EmailShare, email_share
from phenomena.events import EscalationFired as EscalationFired  # with the other events
from phenomena.notify_prefs import NotifyPreference
from phenomena.partners import Member, Organisation, OrganisationKind
from phenomena.priority import Priority
from phenomena.rooms import member_rooms, organisation_rooms
from phenomena.territory import TerritoryRegistry

ACK, MODERATION = "ack", "moderation"
WAITING, FIRED, STOPPED = "waiting", "fired", "stopped"
PROVINCE_LEVEL, FEDERAL_LEVEL = 1, 2
_ABOVE_PROVINCES = (OrganisationKind.FEDERAL, OrganisationKind.REGION)


@dataclass(frozen=True)
class Timers:
    """Minutes before each kind of call (fractions allowed: tests use seconds)."""

    ack_urgent: float
    ack_normal: float
    moderation: float

    def ack_after(self, priority: Priority) -> timedelta | None:
        """How long an alert of ``priority`` may go unacknowledged; None: never escalated."""
        if priority is Priority.URGENT:
            return timedelta(minutes=self.ack_urgent)
        if priority is Priority.NORMAL:
            return timedelta(minutes=self.ack_normal)
        return None

    def moderation_after(self, level: int) -> timedelta:
        """How long after submission level ``level`` fires (1: the province, 2: federal)."""
        return timedelta(minutes=self.moderation * level)


def duty_areas(room: str, alert: Alert, territories: TerritoryRegistry) -> list[tuple[str, str]]:
    """The rota areas whose on-duty members answer for a bulletin room: a zone room its zone,
    a province room its province, an alert's own room the zones of the alert's municipalities."""
    kind, _, code = room.partition(":")
    if kind == "zone":
        return [("zone", code)]
    if kind == "province":
        return [("province", code)]
    if kind == "alert":
        zones = {
            territories.municipalities[n].zone_key
            for n in alert.content.municipalities
            if n in territories.municipalities
        }
        return [("zone", z) for z in sorted(zones)]
    return []


def routed_organisations(
    alert: Alert, organisations: Iterable[Organisation], territories: TerritoryRegistry
) -> frozenset[str]:
    """The organisations whose acknowledgement counts: a RED alert's recipients, otherwise
    those with a member room among the alert's routed rooms."""
    if any(room.startswith("alert:") for room in alert.rooms) and alert.recipients:
        return frozenset(alert.recipients)
    routed = set(alert.rooms)
    return frozenset(o.key for o in organisations if organisation_rooms(o, territories) & routed)


def in_room(
    member: Member,
    room: str,
    alert: Alert,
    organisations: Mapping[str, Organisation],
    territories: TerritoryRegistry,
) -> bool:
    """Whether ``member`` belongs in bulletin room ``room`` (an alert room: its recipients)."""
    if not member.is_active:
        return False
    if room.startswith("alert:"):
        return member.organisation in alert.recipients
    return room in member_rooms(member, organisations.get(member.organisation), territories)


@dataclass(frozen=True)
class Call:
    """Whom one step calls: those it mentions (and mails) and those their preferences hold."""

    called: tuple[str, ...]
    held: tuple[str, ...]


def sort_calls(
    members: Iterable[str],
    preferences: Mapping[str, NotifyPreference],
    priority: Priority,
    local: datetime,
) -> Call:
    """Split ``members`` by their preferences at local time ``local``: quiet hours hold back
    all but urgent alerts, and a floor above the alert's priority holds it back."""
    called: list[str] = []
    held: list[str] = []
    for member in sorted(set(members)):
        preference = preferences.get(member) or NotifyPreference(member)
        (called if preference.notifies(priority, local) else held).append(member)
    return Call(tuple(called), tuple(held))


def entitled_members(
    alert: Alert,
    candidates: Iterable[str],
    members: Mapping[str, Member],
    organisations: Mapping[str, Organisation],
    territories: TerritoryRegistry,
) -> list[str]:
    """The candidates who are active members allowed to read the alert (TLP): nobody else is
    told even that it exists."""
    found: list[str] = []
    for matrix_id in candidates:
        member = members.get(matrix_id)
        if member is None:
            continue
        if entitled(alert, member, organisations.get(member.organisation), territories):
            found.append(matrix_id)
    return found


def level_moderators(
    alert: Alert,
    level: int,
    members: Sequence[Member],
    organisations: Mapping[str, Organisation],
    territories: TerritoryRegistry,
) -> list[str]:
    """The moderators a pending alert's level calls, among those who may decide on it.

    Level 1: moderators of organisations inside the alert's provinces (communes, police zones,
    provinces and others covering one of its municipalities' provinces; not regional or federal
    services). Level 2: moderators of federal organisations.
    """
    provinces = {
        territories.municipalities[n].province_nis
        for n in alert.content.municipalities
        if n in territories.municipalities
    }
    in_provinces = {n for n, m in territories.municipalities.items() if m.province_nis in provinces}
    found: list[str] = []
    for member in eligible_moderators(alert, members, organisations, territories):
        organisation = organisations.get(member.organisation)
        if organisation is None:
            continue
        if level == FEDERAL_LEVEL:
            if organisation.kind is OrganisationKind.FEDERAL:
                found.append(member.matrix_id)
        elif organisation.kind not in _ABOVE_PROVINCES and (
            municipalities_of(organisation, territories) & in_provinces
        ):
            found.append(member.matrix_id)
    return sorted(found)


def escalation_mail_share(alert: Alert) -> EmailShare:
    """How much of the alert an escalation e-mail may carry: the e-mail TLP rule, except that
    RED and AMBER+STRICT still get a notice that names only the reference and the label (it
    goes to members entitled to read the alert, and never carries its text)."""
    share = email_share(alert.content.tlp)
    return EmailShare.NOTICE if share is EmailShare.NOTHING else share


def duration_text(delta: timedelta) -> str:
    """'45 s', '30 min', '24 h' (the timers, as people read them)."""
    seconds = round(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600 or seconds % 3600:
        return f"{round(seconds / 60)} min"
    return f"{seconds // 3600} h"
