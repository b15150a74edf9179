"""Who may draft and approve a citizen capsule, for which commune, and in which week it goes out.

Pure rules; the storage (``phenomena.storage.capsules``) and the chat commands apply them. A
capsule is drafted by the alert's organisation, or by a commune prevention service whose commune
lies in a police zone the alert was routed to; a second person approves it (a commune
prevention service or a moderator, never its author). Beyond the commune's weekly cap, approved
capsules wait for the next week, in the order they were approved.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from phenomena.alert import Alert
from phenomena.audience import municipalities_of
from phenomena.capsules.capsule import Capsule
from phenomena.capsules.drafting import check_public
from phenomena.capsules.said import Said, said, says
from phenomena.errors import InvalidValue
from phenomena.partners import Member, Organisation, OrganisationKind, Role
from phenomena.territory import Municipality, TerritoryRegistry

DEFAULT_PER_WEEK = 2


class CapsuleState(enum.Enum):
    """Where a capsule is: written, waiting for its week (approved beyond the cap), or out."""

    DRAFT = "draft"
    APPROVED = "approved"
    WAITING = "waiting"
    PUBLISHED = "published"


@dataclass(frozen=True)
class CapsuleRecord:
    """A stored capsule: its parts per language (``capsules``) and the screen's findings."""

    id: int
    alert_id: int
    municipality: str
    organisation: str
    author: str
    state: CapsuleState
    capsules: tuple[Capsule, ...]
    findings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    approver: str | None = None
    week: str | None = None
    approved_at: datetime | None = None
    published_at: datetime | None = None

    @property
    def ref(self) -> str:
        """How people name it: ``C-3``."""
        return format_capsule_ref(self.id)

    def in_language(self, language: str | None) -> Capsule:
        """The capsule in ``language`` (its first one without), or an error naming those it has."""
        if language is None:
            return self.capsules[0]
        for capsule in self.capsules:
            if capsule.language == language:
                return capsule
        have = ", ".join(c.language for c in self.capsules)
        raise said(
            InvalidValue,
            "{ref} is written in {have}, not {language}: name one of those",
            ref=self.ref,
            have=have,
            language=language,
        )


def format_capsule_ref(capsule_id: int) -> str:
    """``C-3``."""
    return f"C-{capsule_id}"


_REF = re.compile(r"^\s*c\s*-?\s*(\d{1,12})\s*$", re.IGNORECASE)


def parse_capsule_ref(text: str) -> int:
    """Read a capsule reference as people type it: 'C-3' or 'c3'."""
    match = _REF.match(text)
    if not match:
        raise said(
            InvalidValue, "{text} is not a capsule reference: write it as C-3", text=repr(text)
        )
    return int(match.group(1))


def routed_zones(alert: Alert) -> frozenset[str]:
    """The police zones whose rooms the alert went to."""
    return frozenset(r.split(":", 1)[1] for r in alert.rooms if r.startswith("zone:"))


def drafting_refusal(
    alert: Alert,
    member: Member,
    organisation: Organisation | None,
    territories: TerritoryRegistry,
) -> Said | None:
    """Why ``member`` may not draft a capsule of ``alert`` (None: they may).

    The TLP is checked by ``check_public`` (``CapsuleRefused``) before this.
    """
    if not (member.has(Role.AUTHOR) or member.has(Role.MODERATOR)):
        return says("drafting a capsule needs the author role; ask an administrator if you should")
    if member.organisation == alert.organisation:
        return None
    if organisation is not None and organisation.kind is OrganisationKind.COMMUNE:
        zones = routed_zones(alert)
        mine = municipalities_of(organisation, territories)
        if any(territories.municipalities[nis].zone_key in zones for nis in mine):
            return None
    return says(
        "only {organisation} (the alert's organisation) or a commune prevention service of a "
        "zone {ref} went to may draft its capsule; ask one of them",
        organisation=alert.organisation,
        ref=alert.ref,
    )


def commune_of(
    alert: Alert,
    organisation: Organisation | None,
    territories: TerritoryRegistry,
    asked: str | None = None,
) -> Municipality:
    """The commune the capsule speaks to: ``asked`` (one of the alert's municipalities), else the
    drafter's own commune in the alert's area, else the alert's first municipality."""
    area = alert.content.municipalities
    if asked:
        found = territories.find_municipality(asked)
        if found.nis not in area:
            names = ", ".join(territories.municipalities[n].name for n in area)
            raise said(
                InvalidValue,
                "{name} is not in {ref}'s area: name one of {names}",
                name=found.name,
                ref=alert.ref,
                names=names,
            )
        return found
    mine = municipalities_of(organisation, territories) if organisation is not None else frozenset()
    for nis in area:
        if nis in mine:
            return territories.municipalities[nis]
    return territories.municipalities[area[0]]


def approval_refusal(
    record: CapsuleRecord,
    member: Member,
    organisation: Organisation | None,
    territories: TerritoryRegistry,
) -> Said | None:
    """Why ``member`` may not approve ``record`` (None: they may): four eyes, the right people."""
    if record.state is not CapsuleState.DRAFT:
        return says(
            "{ref} is {state} already: nothing to approve",
            ref=record.ref,
            state=says(record.state.value),
        )
    if member.matrix_id == record.author:
        return says(
            "you wrote {ref}: a second person approves it (a commune prevention service of its "
            "zone, or a moderator)",
            ref=record.ref,
        )
    if member.has(Role.MODERATOR) or commune_service_of_zone(
        organisation, record.municipality, territories
    ):
        return None
    return says(
        "{ref} is approved by a commune prevention service of its zone or a moderator; ask one "
        "of them",
        ref=record.ref,
    )


def commune_service_of_zone(
    organisation: Organisation | None, nis: str, territories: TerritoryRegistry
) -> bool:
    """Whether ``organisation`` is a commune prevention service in the police zone of ``nis``."""
    if organisation is None or organisation.kind is not OrganisationKind.COMMUNE:
        return False
    zone = territories.municipalities[nis].zone_key
    mine = municipalities_of(organisation, territories)
    return any(territories.municipalities[n].zone_key == zone for n in mine)


def check_capsule_public(alert: Alert) -> None:
    """The alert is CLEAR or GREEN and open (``CapsuleRefused`` with the reason otherwise)."""
    check_public(alert)


def iso_week(moment: datetime, timezone: str) -> str:
    """The ISO week ``moment`` falls in, in the network's time zone: ``2026-W49``."""
    year, week, _ = moment.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def next_week_start(moment: datetime, timezone: str) -> datetime:
    """Monday 00:00 local time after ``moment``: when waiting capsules may go out."""
    local = moment.astimezone(ZoneInfo(timezone))
    monday = (local - timedelta(days=local.weekday())).date() + timedelta(days=7)
    return datetime(monday.year, monday.month, monday.day, tzinfo=ZoneInfo(timezone))
