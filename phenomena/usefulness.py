"""Whether bulletins helped: members' yes/no words and reactions, who may vote, and the counts
per phenomenon type that tell partners which kinds of alert are worth their attention.

Pure rules: the votes are stored by ``phenomena.storage.usefulness``. Only a member whose
organisation received an alert's bulletin may vote on it; a member's latest word counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from phenomena.alert import Alert
from phenomena.errors import InvalidValue
from phenomena.partners import Member, Organisation
from phenomena.room_keys import ALERT
from phenomena.rooms import organisation_rooms
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.text import fold
from phenomena.tlp import Tlp

WEEKS = 12
"""How far back the counts per phenomenon type look (alerts published in the last 12 weeks)."""

_YES = frozenset({"yes", "y", "useful", "oui", "utile", "ja", "nuttig", "nützlich", "nutzlich"})
_NO = frozenset({"no", "n", "useless", "non", "inutile", "nee", "neen", "nein", "nutzlos"})
WORDS = "yes or no (FR oui|non, NL ja|nee, DE ja|nein)"
COMMAND = "command"
REACTION = "reaction"

_THUMBS = {"\N{THUMBS UP SIGN}": True, "\N{THUMBS DOWN SIGN}": False}
_MODIFIERS = frozenset(chr(c) for c in range(0x1F3FB, 0x1F400)) | {"\ufe0f", "\ufe0e"}


def parse_vote(word: str) -> bool:
    """Read a member's yes or no as they write it in FR, NL, DE or EN (True: it helped)."""
    key = fold(word)
    if key in {fold(w) for w in _YES}:
        return True
    if key in {fold(w) for w in _NO}:
        return False
    raise InvalidValue(f"{word!r} is neither yes nor no: write {WORDS}")


def reaction_vote(key: str) -> bool | None:
    """The vote a reaction carries: 👍 yes, 👎 no (any skin tone), anything else none."""
    bare = "".join(c for c in key.strip() if c not in _MODIFIERS)
    return _THUMBS.get(bare)


@dataclass(frozen=True)
class Tally:
    """Yes and no votes, on one alert or on every alert of a type."""

    yes: int = 0
    no: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.yes + other.yes, self.no + other.no)

    @property
    def total(self) -> int:
        """How many members voted."""
        return self.yes + self.no


@dataclass(frozen=True)
class Vote:
    """One member's word on one alert: whether its bulletin helped."""

    alert_id: int
    member: str
    organisation: str
    useful: bool
    source: str  # command | reaction


def received(
    alert: Alert,
    organisation: Organisation | None,
    territories: TerritoryRegistry,
    delivered_rooms: Iterable[str],
) -> bool:
    """Whether ``organisation`` got one of the alert's bulletins: its members are in a room a
    bulletin was delivered to (a RED alert's own room: its recipients)."""
    if organisation is None:
        return False
    delivered = set(delivered_rooms)
    if any(r.startswith(ALERT) for r in delivered) and organisation.key in alert.recipients:
        return True
    return bool(organisation_rooms(organisation, territories) & delivered)


def refusal(
    alert: Alert,
    member: Member,
    organisation: Organisation | None,
    territories: TerritoryRegistry,
    delivered_rooms: Iterable[str],
) -> str | None:
    """Why ``member`` may not vote on ``alert`` (None: they may): only members of an
    organisation that received its bulletin say whether it helped them."""
    if not member.is_active:
        return f"your membership is {member.status.value}; ask an administrator"
    if not received(alert, organisation, territories, delivered_rooms):
        return (
            f"your organisation did not receive {alert.ref}'s bulletin, so whether it helped is "
            "for those who did to say"
        )
    return None


def by_type(
    alerts: Iterable[Alert], tallies: Mapping[int, Tally], today: date, weeks: int = WEEKS
) -> dict[PhenomenonType, Tally]:
    """The votes per phenomenon type on ``alerts`` published in the last ``weeks`` weeks.

    RED alerts are left out: even a count would tell others that one exists; their own reach
    (``!alert reach A-12``, for their recipients) shows their votes.
    """
    since = today - timedelta(weeks=weeks)
    found: dict[PhenomenonType, Tally] = {}
    for alert in alerts:
        if alert.content.tlp is Tlp.RED or alert.created_at is None:
            continue
        if alert.created_at.date() <= since:
            continue
        tally = tallies.get(alert.id)
        if tally is None or not tally.total:
            continue
        kind = alert.content.type
        found[kind] = found.get(kind, Tally()) + tally
    return dict(sorted(found.items(), key=lambda kv: kv[0].value))
