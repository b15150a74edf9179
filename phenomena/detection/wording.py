"""Detection results in the words an analyst or a moderator acts on: a place they can find on a
map, a period, how many against how many expected, and how rare that is by chance."""

from __future__ import annotations

import math

from phenomena.detection.projection import to_wgs84
from phenomena.territory import Municipality, TerritoryRegistry

LANGUAGES = ("en", "fr", "nl", "de")
NEAREST_WITHIN_KM = 25.0
"""No Belgian municipality's centroid is further than this from its own border: a centre beyond
it is outside Belgium (or in coordinates that are not EPSG:3812)."""


def in_words(recurrence_days: float) -> str:
    """How often chance alone would give a result, for a daily analysis: "about once in 27
    years", never "3,136,160,383 days"."""
    days = recurrence_days
    if not math.isfinite(days) or days >= 1000 * 365.25:
        return "less than once in a thousand years"
    if days < 1.5:
        return "about once a day"
    if days < 45:
        return f"about once in {days:.0f} days"
    if days < 330:
        return f"about once in {days / 30.44:.0f} months"
    if days < 1.5 * 365.25:
        return "about once a year"
    years = days / 365.25
    rounded = float(f"{years:.2g}") if years >= 100 else round(years)
    return f"about once in {rounded:.0f} years"


def municipality_name(m: Municipality, language: str) -> str:
    """A municipality's name for a reader of ``language`` (English: its own name and the other
    national one, as everywhere in prevnet)."""
    if language == "fr":
        return m.name_fr
    if language == "nl":
        return m.name_nl
    if language == "de":
        return m.name_de or m.own_name
    return m.name


def nearest_municipality(
    territories: TerritoryRegistry, lon: float, lat: float
) -> Municipality | None:
    """The municipality whose centroid is nearest, or None beyond ``NEAREST_WITHIN_KM``."""
    scale = math.cos(math.radians(lat))

    def km(m: Municipality) -> float:
        return 111.2 * math.hypot(m.lat - lat, (m.lon - lon) * scale)

    best = min(territories.municipalities.values(), key=km, default=None)
    return best if best is not None and km(best) <= NEAREST_WITHIN_KM else None


def centre_in_words(
    centre: tuple[float, float], territories: TerritoryRegistry, language: str
) -> tuple[float, float, Municipality | None, str]:
    """Latitude, longitude, the nearest municipality and a line saying so."""
    lon, lat = to_wgs84(*centre)
    nearest = nearest_municipality(territories, lon, lat)
    where = (
        f"nearest municipality {municipality_name(nearest, language)}"
        if nearest
        else f"no Belgian municipality within {NEAREST_WITHIN_KM:.0f} km"
    )
    return lat, lon, nearest, f"centre {lat:.5f}, {lon:.5f} (latitude, longitude), {where}"
