"""The words of a "cocoon" letter: near-repeat prevention for the streets around a detected cluster.

After a burglary, homes close by run a higher risk for a few weeks; a letter to those streets,
calm and with one tip, is a well-tried answer. The streets (or the area's name) come from whoever
knows them: detection proposes a cluster with its municipalities, an analyst names the streets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from phenomena.alert import format_ref
from phenomena.capsules.capsule import Capsule
from phenomena.capsules.said import said
from phenomena.capsules.wording import Wording
from phenomena.errors import InvalidValue

if TYPE_CHECKING:
    from phenomena.detection.records import DetectionRecord

MAX_STREETS = 40
"""More streets than this is no longer "around a cluster": send a poster instead."""
_ROUNDED_TO = 50  # metres: residents read "within 300 m", not the scan's 287.4


def around_cluster(capsule: Capsule, detected: DetectionRecord) -> str:
    """The streets a letter goes to when nobody named them: those within the cluster's radius
    (rounded up, never a point on a map: the cluster's centre stays with partners)."""
    metres = max(_ROUNDED_TO, math.ceil(detected.radius_metres / _ROUNDED_TO) * _ROUNDED_TO)
    return Wording(capsule.language)("cocoon-around", metres=str(metres), commune=capsule.commune)


@dataclass(frozen=True)
class CocoonLetter:
    """The paragraphs of the letter, in the capsule's language."""

    heading: str
    intro: str
    tip: str
    streets: str
    contact: str
    more: str
    signature: str
    link: str


def cocoon_letter(
    capsule: Capsule, streets: Sequence[str], detected: DetectionRecord
) -> CocoonLetter:
    """The letter for residents of ``streets`` (street names, or the name of the area).

    ``detected`` is the cluster detection proposed the capsule's alert from: without one there
    is no "near you" to speak of, and the poster is the right medium.
    """
    if format_ref(detected.alert_id) != capsule.alert_ref:
        raise said(
            InvalidValue,
            "{ref} was not proposed by detection (that cluster is {other}'s): a cocoon letter "
            "is for the streets around a detected cluster; print the poster instead",
            ref=capsule.alert_ref,
            other=format_ref(detected.alert_id),
        )
    names = list(dict.fromkeys(" ".join(s.split()) for s in streets if s.strip()))
    if not names:
        raise said(
            InvalidValue, "a cocoon letter needs the streets around the cluster: name at least one"
        )
    if len(names) > MAX_STREETS:
        raise said(
            InvalidValue,
            "{count} streets is more than a cocoon letter's {most}: name the streets closest "
            "to the cluster, or use the poster for a wider area",
            count=len(names),
            most=MAX_STREETS,
        )
    if not capsule.tip.strip():
        raise said(
            InvalidValue, "the capsule has no tip: write one ('edit tip: ...') before the letter"
        )
    words = Wording(capsule.language)
    kind = capsule.kind.names[capsule.language].lower()
    return CocoonLetter(
        heading=words("cocoon-heading"),
        intro=words("cocoon-intro", type=kind, commune=capsule.commune),
        tip=f"{words('tip-intro')} {capsule.tip}",
        streets=words("cocoon-streets", streets=", ".join(names)),
        contact=words("contact"),
        more=words("more", commune=capsule.commune, link=capsule.link),
        signature=words("cocoon-signature", commune=capsule.commune),
        link=capsule.link,
    )
