"""Phenomenon types and TLP labels as people write them."""

from __future__ import annotations

import pytest

from phenomena.errors import InvalidValue, UnknownPhenomenonType
from phenomena.taxonomy import PhenomenonType
from phenomena.tlp import Tlp


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("residential-burglary", PhenomenonType.RESIDENTIAL_BURGLARY),
        ("Cambriolage d'habitation", PhenomenonType.RESIDENTIAL_BURGLARY),
        ("woninginbraak", PhenomenonType.RESIDENTIAL_BURGLARY),
        ("Wohnungseinbruch", PhenomenonType.RESIDENTIAL_BURGLARY),
        ("Arnaque téléphonique", PhenomenonType.PHONE_SCAM),
        ("hameçonnage", PhenomenonType.PHISHING),
        ("Vol à la tire", PhenomenonType.PICKPOCKETING),
        ("suspicious vehicle", PhenomenonType.SUSPICIOUS_VEHICLE),
    ],
)
def test_types_in_four_languages(text: str, kind: PhenomenonType) -> None:
    assert PhenomenonType.parse(text) is kind


def test_taxonomy_covers_the_phenomena_partners_asked_for() -> None:
    slugs = {t.value for t in PhenomenonType}
    assert {
        "residential-burglary",
        "business-burglary",
        "vehicle-theft",
        "theft-from-vehicle",
        "pickpocketing",
        "phone-scam",
        "doorstep-scam",
        "phishing",
        "drug-dealing",
        "vandalism",
        "arson",
        "aggression",
        "suspicious-vehicle",
        "suspicious-person",
        "other",
    } == slugs
    for kind in PhenomenonType:
        assert set(kind.names) == {"en", "fr", "nl", "de"}


def test_unknown_type_suggests_and_lists() -> None:
    with pytest.raises(UnknownPhenomenonType) as caught:
        PhenomenonType.parse("residental burglary")
    assert "Did you mean: residential-burglary" in str(caught.value)
    assert "vandalism" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "tlp"),
    [
        ("amber", Tlp.AMBER),
        ("TLP:AMBER", Tlp.AMBER),
        ("Amber+Strict", Tlp.AMBER_STRICT),
        ("amber strict", Tlp.AMBER_STRICT),
        ("TLP:RED", Tlp.RED),
        ("white", Tlp.CLEAR),
        ("clear", Tlp.CLEAR),
        ("green", Tlp.GREEN),
    ],
)
def test_tlp_labels(text: str, tlp: Tlp) -> None:
    assert Tlp.parse(text) is tlp


def test_unknown_tlp_says_the_labels() -> None:
    with pytest.raises(InvalidValue, match="clear, green, amber, amber\\+strict, red"):
        Tlp.parse("orange")


def test_only_the_shareable_labels_leave_matrix() -> None:
    assert not Tlp.RED.may_leave_matrix
    assert not Tlp.AMBER_STRICT.may_leave_matrix
    assert Tlp.AMBER.may_leave_matrix
    assert Tlp.RED.label == "TLP:RED"
    assert Tlp.AMBER_STRICT.colour == "#FFC000"
