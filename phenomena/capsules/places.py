"""Exact street addresses (FR, NL, DE and EN forms) and Belgian licence plates in free text.

A capsule speaks of a neighbourhood, never of a house: "rue de la Station 12",
"Stationsstraat 12", "Bahnhofstraße 12" or a plate such as 1-ABC-123 identifies a victim or a
suspect. The patterns lean towards flagging: an editor dismisses a false finding in a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = r"\d{1,4}(?:\s?[a-zA-Z](?![^\W_]))?(?:\s?(?:/|bte|bus|boîte)\s?\d{1,4})?(?!\d)"
_MARK = "\u0300-\u036f"  # combining accents, as in text typed on some systems (e + ´)
_NAME_WORD = rf"[^\W\d_][\w'’.\-{_MARK}]*"

_FR_WAYS = (
    "rue|avenue|av\\.|boulevard|bd|chaussée|chée|place|pl\\.|chemin|allée|impasse|quai|square|"
    "route|drève|clos|sentier|rempart|passage|galerie|parvis|esplanade|cité|ruelle"
)
_FR = re.compile(
    rf"(?<![^\W_])(?:{_FR_WAYS})(?:\s+{_NAME_WORD}){{1,6}}?,?\s+{_NUMBER}", re.IGNORECASE
)

_NL_WAYS = (
    "straat|laan|weg|steenweg|plein|lei|dreef|kaai|baan|singel|markt|pad|dijk|gracht|wegel|"
    "hof|vest|berg|ring|kade|dam|veld|wijk"
)
_DE_WAYS = "straße|strasse|str\\.|weg|platz|gasse|allee|ring|damm|ufer|chaussee|pfad|markt|steig"
_COMPOUND = re.compile(
    rf"(?<![^\W_])(?:[^\W\d_][\w'’\-{_MARK}]*?)?(?:{_NL_WAYS}|{_DE_WAYS}),?\s+{_NUMBER}",
    re.IGNORECASE,
)
_EN = re.compile(
    rf"(?<![\w])\d{{1,4}}[a-zA-Z]?,?(?:\s+{_NAME_WORD}){{1,4}}?\s+"
    r"(?:street|st\.|road|rd\.|avenue|lane|square|drive|place|close)(?![^\W_])",
    re.IGNORECASE,
)

_PLATE = re.compile(
    r"(?<![^\W_])(?:[1-9][\s.\-]?[A-Z]{3}[\s.\-]?\d{3}|[A-Z]{3}[\s.\-]?\d{3}|\d{3}[\s.\-]?[A-Z]{3}"
    r"|[1-9]-[a-zA-Z]{3}-\d{3})(?![^\W_])"
)
"""Capitals as on the plate; a lower-case plate only in the full 1-abc-123 form (else "101 and")."""


@dataclass(frozen=True)
class Place:
    """An address or a plate found in text, by its offsets."""

    text: str
    start: int
    end: int


def _spans(pattern: re.Pattern[str], text: str) -> list[Place]:
    return [Place(m.group(0), m.start(), m.end()) for m in pattern.finditer(text)]


def street_addresses(text: str) -> list[Place]:
    """Every street name with a house number, in text order; overlapping forms merged."""
    found = sorted(
        (*_spans(_FR, text), *_spans(_COMPOUND, text), *_spans(_EN, text)),
        key=lambda p: (p.start, -p.end),
    )
    merged: list[Place] = []
    for place in found:
        if merged and place.start < merged[-1].end:
            last = merged[-1]
            if place.end > last.end:
                merged[-1] = Place(text[last.start : place.end], last.start, place.end)
            continue
        merged.append(place)
    return merged


def licence_plates(text: str) -> list[Place]:
    """Every Belgian licence plate (current 1-ABC-123 and older ABC-123 / 123-ABC forms)."""
    return _spans(_PLATE, text)
