"""A capsule's parts, the length each may have, and editing a part within that length.

Errors (all ``DomainError``, each message saying what to do)::

    CapsuleRefused      the alert may not become a capsule (its TLP, its state)
    InvalidValue
    └── PartTooLong     an edited part longer than its limit, with both lengths
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace

from phenomena.capsules.said import said, says, with_said
from phenomena.errors import DomainError, InvalidValue
from phenomena.taxonomy import PhenomenonType
from phenomena.tlp import Tlp

ELLIPSIS = "…"
PUBLIC_TLPS = (Tlp.CLEAR, Tlp.GREEN)
"""Only these may reach residents: TLP:GREEN is for the community, TLP:CLEAR for anyone."""


class CapsuleRefused(DomainError):
    """The alert cannot become a citizen capsule; the message says why and what to do."""


class PartTooLong(InvalidValue):
    """An edited part over its limit; the text is kept by the caller, nothing was changed."""

    def __init__(self, part: Part, length: int) -> None:
        self.part = part
        self.length = length
        message = says(
            "the {part} is {length} characters; its limit is {limit}: shorten it by {over} "
            "and send it again (nothing was changed)",
            part=says(part.label),
            length=length,
            limit=part.limit,
            over=length - part.limit,
        )
        super().__init__(str(message))
        with_said(self, message)


class Part(enum.Enum):
    """An editable part of a capsule, with its limit in characters."""

    TITLE = "title"
    SHORT = "short"
    LONG = "long"
    HASHTAGS = "hashtags"
    TIP = "tip"

    @property
    def limit(self) -> int:
        """The most characters the part may have, in any language."""
        return _LIMITS[self]

    @property
    def label(self) -> str:
        """How messages name the part."""
        return _LABELS[self]

    @classmethod
    def parse(cls, text: str) -> Part:
        """The part a person named ('short', 'Title:'), or an error listing the parts."""
        key = text.strip().rstrip(":").strip().lower()
        for part in cls:
            if key == part.value:
                return part
        raise said(
            InvalidValue,
            "a capsule has no part {text}: name one of {parts}",
            text=repr(text),
            parts=", ".join(p.value for p in cls),
        )


_LIMITS = {Part.TITLE: 60, Part.SHORT: 280, Part.LONG: 1000, Part.HASHTAGS: 120, Part.TIP: 200}
_LABELS = {
    Part.TITLE: "title",
    Part.SHORT: "short post",
    Part.LONG: "long post",
    Part.HASHTAGS: "hashtags",
    Part.TIP: "tip",
}
_HASHTAG = re.compile(r"#[^\W_][\w]*")


@dataclass(frozen=True)
class Capsule:
    """One language's capsule of one alert: what residents read, and where it came from.

    ``tip`` is the one piece of advice (it goes on the image card and the poster); ``short`` and
    ``long`` are posts built around it; ``link`` is the commune's prevention page.
    """

    alert_ref: str
    kind: PhenomenonType
    tlp: Tlp
    language: str
    commune: str
    link: str
    title: str
    tip: str
    short: str
    long: str
    hashtags: str

    def part(self, part: Part) -> str:
        """The text of one part."""
        return str(getattr(self, part.value))

    def parts(self) -> dict[Part, str]:
        """Every part with its text, in the order people read them."""
        return {p: self.part(p) for p in Part}


def require_public(capsule: Capsule, ref: str | None = None) -> None:
    """Refuse a capsule whose alert is not CLEAR or GREEN, whichever way it got here."""
    if capsule.tlp not in PUBLIC_TLPS:
        raise said(
            CapsuleRefused,
            "{ref} is {tlp}: only TLP:CLEAR and TLP:GREEN capsules may reach residents; "
            "leave it out",
            ref=ref or capsule.alert_ref,
            tlp=capsule.tlp.label,
        )


def fit(text: str, limit: int) -> str:
    """``text`` in ``limit`` characters, cut at a word boundary with an ellipsis, never mid-word.

    A first word longer than the limit leaves only the ellipsis.
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    if room <= 0:
        return ELLIPSIS[:limit]
    cut = text[: room + 1]
    space = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"))
    kept = text[:space] if space > 0 else ""
    kept = kept.rstrip(" \t\n,;:-–—")
    return f"{kept}{ELLIPSIS}" if kept else ELLIPSIS


def edit(capsule: Capsule, part: Part | str, text: str) -> Capsule:
    """The capsule with one part replaced, checked against the part's limit and form.

    Parts are independent: a new tip does not rewrite the posts (the screen flags a long post
    that no longer carries the tip); to rebuild the posts around other advice, draft again with
    ``draft_capsules(..., advice={language: text})``.
    """
    which = part if isinstance(part, Part) else Part.parse(part)
    value = text.strip()
    if len(value) > which.limit:
        raise PartTooLong(which, len(value))
    if not value and which is not Part.TIP:
        raise said(
            InvalidValue,
            "the {part} cannot be empty: write its new text after the part",
            part=says(which.label),
        )
    if which is Part.HASHTAGS:
        value = _checked_hashtags(value)
    match which:
        case Part.TITLE:
            return replace(capsule, title=value)
        case Part.SHORT:
            return replace(capsule, short=value)
        case Part.LONG:
            return replace(capsule, long=value)
        case Part.HASHTAGS:
            return replace(capsule, hashtags=value)
        case Part.TIP:
            return replace(capsule, tip=value)


def _checked_hashtags(text: str) -> str:
    tags = text.split()
    wrong = [t for t in tags if not _HASHTAG.fullmatch(t)]
    if wrong:
        raise said(
            InvalidValue,
            "not hashtags: {wrong}; write them as #word, separated by spaces "
            "(letters and digits only)",
            wrong=", ".join(wrong),
        )
    return " ".join(tags)
