"""The taxonomy of phenomenon types that alerts and incident reports are filed under.

Each type has a stable slug (stored, routed on, used in Discourse tags) and the names people type
in French, Dutch, German and English. Display labels for bulletins come from the gettext
catalogue of the bots; the names here are for understanding what people write.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Mapping

from phenomena.errors import UnknownPhenomenonType
from phenomena.text import fold


class PhenomenonType(enum.Enum):
    """A kind of phenomenon partners warn each other about."""

    RESIDENTIAL_BURGLARY = "residential-burglary"
    BUSINESS_BURGLARY = "business-burglary"
    VEHICLE_THEFT = "vehicle-theft"
    THEFT_FROM_VEHICLE = "theft-from-vehicle"
    PICKPOCKETING = "pickpocketing"
    PHONE_SCAM = "phone-scam"
    DOORSTEP_SCAM = "doorstep-scam"
    PHISHING = "phishing"
    DRUG_DEALING = "drug-dealing"
    VANDALISM = "vandalism"
    ARSON = "arson"
    AGGRESSION = "aggression"
    SUSPICIOUS_VEHICLE = "suspicious-vehicle"
    SUSPICIOUS_PERSON = "suspicious-person"
    OTHER = "other"

    @property
    def names(self) -> Mapping[str, str]:
        """The name of the type in each language (``en``, ``fr``, ``nl``, ``de``)."""
        return _NAMES[self]

    @classmethod
    def named(cls, text: str) -> PhenomenonType | None:
        """The type whose slug or name is ``text`` (case and accents aside): no alias, no guess.

        For data from other systems, where a word that merely resembles a type ("BURGLARY") must
        not be taken for it.
        """
        return _NAMED.get(fold(text))

    @classmethod
    def parse(cls, text: str) -> PhenomenonType:
        """Find the type a person meant: its slug or its name in any of the four languages."""
        key = fold(text)
        found = _INDEX.get(key)
        if found is not None:
            return found
        close = difflib.get_close_matches(key, list(_INDEX), n=3, cutoff=0.6)
        slugs = list(dict.fromkeys(_INDEX[c].value for c in close))  # closest first
        hint = f" Did you mean: {', '.join(slugs)}?" if slugs else ""
        raise UnknownPhenomenonType(
            f"unknown phenomenon type {text!r}.{hint} Known types: "
            + ", ".join(t.value for t in cls)
        )


_NAMES: dict[PhenomenonType, dict[str, str]] = {
    PhenomenonType.RESIDENTIAL_BURGLARY: {
        "en": "Residential burglary",
        "fr": "Cambriolage d'habitation",
        "nl": "Woninginbraak",
        "de": "Wohnungseinbruch",
    },
    PhenomenonType.BUSINESS_BURGLARY: {
        "en": "Business burglary",
        "fr": "Cambriolage d'entreprise",
        "nl": "Inbraak in bedrijf",
        "de": "Einbruch in Betrieb",
    },
    PhenomenonType.VEHICLE_THEFT: {
        "en": "Vehicle theft",
        "fr": "Vol de véhicule",
        "nl": "Voertuigdiefstal",
        "de": "Fahrzeugdiebstahl",
    },
    PhenomenonType.THEFT_FROM_VEHICLE: {
        "en": "Theft from vehicle",
        "fr": "Vol dans véhicule",
        "nl": "Diefstal uit voertuig",
        "de": "Diebstahl aus Fahrzeug",
    },
    PhenomenonType.PICKPOCKETING: {
        "en": "Pickpocketing",
        "fr": "Vol à la tire",
        "nl": "Gauwdiefstal",
        "de": "Taschendiebstahl",
    },
    PhenomenonType.PHONE_SCAM: {
        "en": "Phone scam",
        "fr": "Arnaque téléphonique",
        "nl": "Telefoonfraude",
        "de": "Telefonbetrug",
    },
    PhenomenonType.DOORSTEP_SCAM: {
        "en": "Doorstep scam",
        "fr": "Arnaque à domicile",
        "nl": "Oplichting aan de deur",
        "de": "Betrug an der Haustür",
    },
    PhenomenonType.PHISHING: {
        "en": "Phishing",
        "fr": "Hameçonnage",
        "nl": "Phishing",
        "de": "Phishing",
    },
    PhenomenonType.DRUG_DEALING: {
        "en": "Drug dealing",
        "fr": "Trafic de drogue",
        "nl": "Drugshandel",
        "de": "Drogenhandel",
    },
    PhenomenonType.VANDALISM: {
        "en": "Vandalism",
        "fr": "Vandalisme",
        "nl": "Vandalisme",
        "de": "Vandalismus",
    },
    PhenomenonType.ARSON: {
        "en": "Arson",
        "fr": "Incendie volontaire",
        "nl": "Brandstichting",
        "de": "Brandstiftung",
    },
    PhenomenonType.AGGRESSION: {
        "en": "Aggression",
        "fr": "Agression",
        "nl": "Agressie",
        "de": "Aggression",
    },
    PhenomenonType.SUSPICIOUS_VEHICLE: {
        "en": "Suspicious vehicle",
        "fr": "Véhicule suspect",
        "nl": "Verdacht voertuig",
        "de": "Verdächtiges Fahrzeug",
    },
    PhenomenonType.SUSPICIOUS_PERSON: {
        "en": "Suspicious person",
        "fr": "Personne suspecte",
        "nl": "Verdachte persoon",
        "de": "Verdächtige Person",
    },
    PhenomenonType.OTHER: {"en": "Other", "fr": "Autre", "nl": "Andere", "de": "Sonstiges"},
}

# Extra words people use, beyond the names above.
_ALIASES: dict[PhenomenonType, tuple[str, ...]] = {
    PhenomenonType.RESIDENTIAL_BURGLARY: ("burglary", "cambriolage", "inbraak", "einbruch"),
    PhenomenonType.PHONE_SCAM: ("phone fraud", "fraude telephonique", "telefoonoplichting"),
    PhenomenonType.DOORSTEP_SCAM: ("door scam", "vol par ruse", "fraude a domicile"),
    PhenomenonType.VEHICLE_THEFT: ("car theft", "vol de voiture", "autodiefstal"),
    PhenomenonType.THEFT_FROM_VEHICLE: ("car break in", "vol dans voiture", "diefstal uit auto"),
    PhenomenonType.DRUG_DEALING: ("drugs", "deal", "drugsdealen"),
    PhenomenonType.PHISHING: ("hameconnage",),
}


def _build_index() -> dict[str, PhenomenonType]:
    index: dict[str, PhenomenonType] = {}
    for kind in PhenomenonType:
        keys = [kind.value, kind.name, *_NAMES[kind].values(), *_ALIASES.get(kind, ())]
        for key in keys:
            index.setdefault(fold(key), kind)
    return index


_INDEX = _build_index()
_NAMED = {
    fold(key): kind for kind in PhenomenonType for key in (kind.value, *_NAMES[kind].values())
}
