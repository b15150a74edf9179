"""The fields of the alert text format: their names in FR/NL/DE/EN, which are required, and the
hint each error and guided question gives (kept apart from the parser, which is long enough)."""

from __future__ import annotations

from collections.abc import Mapping

from phenomena.text import fold

FIELD_ORDER = ("type", "area", "from", "to", "tlp", "priority", "summary", "modus", "advice")
"""The fields guided entry asks for, in order."""
FIELDS = (*FIELD_ORDER, "recipients")
"""Every field of the text format."""
REQUIRED = ("type", "area", "from", "tlp", "summary")

HINTS: Mapping[str, str] = {
    "type": "a phenomenon type such as residential-burglary, phone-scam or vandalism",
    "area": "municipalities separated by commas, e.g. 'Mons, Quévy' or NIS codes",
    "from": "the first day as YYYY-MM-DD or DD/MM/YYYY",
    "to": "the last day as YYYY-MM-DD or DD/MM/YYYY (optional)",
    "tlp": "clear, green, amber, amber+strict or red",
    "priority": "urgent, normal or info (optional, normal by default)",
    "summary": "one or two sentences on what is happening",
    "modus": "how the perpetrators operate (optional)",
    "advice": "what partners and residents should do (optional)",
    "recipients": "organisation keys separated by commas, e.g. zp-boraine (optional, TLP:RED)",
}

ALIASES: dict[str, str] = {}
for _canonical, _names in {
    "type": ("type", "phenomenon", "phenomene", "fenomeen", "phanomen", "typ", "soort"),
    "area": (
        "area",
        "where",
        "communes",
        "commune",
        "lieu",
        "gemeenten",
        "gemeente",
        "gemeinden",
        "gemeinde",
        "ort",
        "municipalities",
        "municipality",
        "zone",
    ),
    "from": ("from", "start", "du", "debut", "des", "van", "vanaf", "von", "ab", "beginn"),
    "to": ("to", "until", "end", "au", "fin", "jusqu au", "tot", "tot en met", "bis", "ende"),
    "tlp": ("tlp",),
    "priority": (
        "priority",
        "prio",
        "priorite",
        "urgence",
        "prioriteit",
        "urgentie",
        "prioritat",
        "prioritaet",
        "dringlichkeit",
    ),
    "summary": ("summary", "resume", "samenvatting", "zusammenfassung", "description"),
    "modus": ("modus", "modus operandi", "mo", "mode operatoire", "werkwijze", "vorgehensweise"),
    "advice": (
        "advice",
        "conseil",
        "conseils",
        "advies",
        "rat",
        "ratschlag",
        "empfehlung",
        "tips",
        "tip",
    ),
    "recipients": (
        "recipients",
        "share with",
        "destinataires",
        "destinataire",
        "a",
        "ontvangers",
        "ontvanger",
        "aan",
        "empfanger",
        "empfaenger",
        "an",
    ),
}.items():
    for _name in _names:
        ALIASES[fold(_name)] = _canonical
