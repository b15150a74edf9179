"""Usefulness votes: the words and reactions that say yes or no, who may vote, and the counts
per phenomenon type (RED never counted there)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from phenomena.alert import Alert, AlertContent, AlertStatus
from phenomena.errors import InvalidValue
from phenomena.partners import (
    Member,
    MemberStatus,
    Organisation,
    OrganisationKind,
    Role,
    TerritoryKind,
    TerritoryRef,
)
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from phenomena.usefulness import Tally, by_type, parse_vote, reaction_vote, received, refusal

TODAY = date(2026, 11, 23)
MONS = Organisation(
    "zp-mons", "ZP Mons", OrganisationKind.POLICE_ZONE, (TerritoryRef(TerritoryKind.ZONE, "5324"),)
)
OSTEND = Organisation(
    "pz-oostende",
    "PZ Oostende",
    OrganisationKind.POLICE_ZONE,
    (TerritoryRef(TerritoryKind.ZONE, "5415"),),
)


def alert(
    n: int,
    kind: PhenomenonType,
    created: date,
    tlp: Tlp = Tlp.AMBER,
    rooms: tuple[str, ...] = ("zone:5324",),
    recipients: tuple[str, ...] = (),
) -> Alert:
    content = AlertContent(kind, ("53053",), created, None, tlp, "s")
    return Alert(
        n,
        content,
        "@a:x",
        "zp-mons",
        AlertStatus.PUBLISHED,
        created_at=datetime(created.year, created.month, created.day, 9, tzinfo=UTC),
        rooms=rooms,
        recipients=recipients,
    )


@pytest.mark.parametrize(
    ("word", "useful"),
    [
        ("yes", True),
        ("YES", True),
        ("oui", True),
        ("ja", True),
        ("nützlich", True),
        ("no", False),
        ("Non", False),
        ("nee", False),
        ("nein", False),
    ],
)
def test_yes_and_no_in_the_four_languages(word: str, useful: bool) -> None:
    assert parse_vote(word) is useful


def test_another_word_gets_what_to_write() -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_vote("maybe")
    assert "oui|non, NL ja|nee, DE ja|nein" in str(refused.value)


def test_thumbs_are_votes_in_any_skin_tone_and_other_reactions_are_not() -> None:
    assert reaction_vote("👍") is True
    assert reaction_vote("👍🏽") is True
    assert reaction_vote("👎️") is False
    assert reaction_vote("👎🏿") is False
    assert reaction_vote("❤️") is None
    assert reaction_vote("✅") is None


def test_only_an_organisation_that_received_the_bulletin_votes(
    territories: TerritoryRegistry,
) -> None:
    burglary = alert(1, PhenomenonType.RESIDENTIAL_BURGLARY, TODAY)
    officer = Member("@o:x", "O", "zp-mons", frozenset({Role.MEMBER}))
    ostend = Member("@f:x", "F", "pz-oostende", frozenset({Role.MEMBER, Role.MODERATOR}))
    assert received(burglary, MONS, territories, ["zone:5324"])
    assert refusal(burglary, officer, MONS, territories, ["zone:5324"]) is None
    assert not received(burglary, MONS, territories, [])  # not delivered (yet)
    why = refusal(burglary, ostend, OSTEND, territories, ["zone:5324"])  # a moderator elsewhere
    assert why is not None and "did not receive A-1's bulletin" in why
    gone = Member("@o:x", "O", "zp-mons", frozenset({Role.MEMBER}), status=MemberStatus.SUSPENDED)
    assert "suspended" in (refusal(burglary, gone, MONS, territories, ["zone:5324"]) or "")


def test_a_red_alert_is_received_by_its_recipients_only(territories: TerritoryRegistry) -> None:
    red = alert(
        2, PhenomenonType.DRUG_DEALING, TODAY, Tlp.RED, ("alert:2",), recipients=("zp-mons",)
    )
    assert received(red, MONS, territories, ["alert:2"])
    assert not received(red, OSTEND, territories, ["alert:2"])


def test_counts_per_type_over_twelve_weeks_leave_red_out() -> None:
    alerts = [
        alert(1, PhenomenonType.PHONE_SCAM, date(2026, 11, 20)),
        alert(2, PhenomenonType.PHONE_SCAM, date(2026, 10, 1)),
        alert(3, PhenomenonType.VANDALISM, date(2026, 11, 2)),
        alert(4, PhenomenonType.VANDALISM, date(2026, 8, 1)),  # 16 weeks ago
        alert(5, PhenomenonType.DRUG_DEALING, date(2026, 11, 21), Tlp.RED, ("alert:5",)),
        alert(6, PhenomenonType.ARSON, date(2026, 11, 21)),  # no votes
    ]
    tallies = {1: Tally(2, 1), 2: Tally(1, 0), 3: Tally(0, 2), 4: Tally(5, 5), 5: Tally(3, 0)}
    assert by_type(alerts, tallies, TODAY) == {
        PhenomenonType.PHONE_SCAM: Tally(3, 1),
        PhenomenonType.VANDALISM: Tally(0, 2),
    }
