"""Belgian territories: municipalities, police zones, provinces, regions and who borders whom.

Built from the reference CSV text shipped in ``config/reference/belgium`` (the composition root
reads the files; this module only parses text), so routing and lookups are pure and fast.
"""

from __future__ import annotations

import csv
import difflib
import enum
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from phenomena.errors import InvalidValue, UnknownTerritory
from phenomena.text import fold

BRUSSELS_REGION_NIS = "04000"


class Language(enum.Enum):
    """The official languages of Belgium, as ISO 639-1 codes."""

    FR = "fr"
    NL = "nl"
    DE = "de"


_NGI_LANGUAGES = {"F": Language.FR, "D": Language.NL, "G": Language.DE}


@dataclass(frozen=True)
class Province:
    """A province, or the Brussels-Capital Region, which has none and stands in for one."""

    nis: str
    name_nl: str
    name_fr: str
    name_de: str
    region_nis: str

    @property
    def name(self) -> str:
        """A name every partner recognises: French and Dutch when they differ."""
        return _both(self.name_fr, self.name_nl)


@dataclass(frozen=True)
class Municipality:
    """A municipality of the 2025 list (565 after the 2025 mergers)."""

    nis: str
    name_nl: str
    name_fr: str
    name_de: str | None
    province_nis: str
    region_nis: str
    zone_key: str
    languages: tuple[Language, ...]
    lon: float
    lat: float

    @property
    def own_name(self) -> str:
        """The single name in the municipality's own language (Brussels: Dutch, then French)."""
        if Language.DE in self.languages and self.name_de:
            return self.name_de
        if self.languages and self.languages[0] is Language.NL:
            return self.name_nl
        return self.name_fr

    @property
    def name(self) -> str:
        """The name in the municipality's own language, then the other national name if any."""
        own = self.name_de if Language.DE in self.languages and self.name_de else None
        if own:
            return own if own == self.name_fr else f"{own} ({self.name_fr})"
        if self.languages and self.languages[0] is Language.NL:
            return _both(self.name_nl, self.name_fr)
        return _both(self.name_fr, self.name_nl)


@dataclass(frozen=True)
class PoliceZone:
    """A local police zone and the municipalities it polices.

    ``key`` is the zone number when known; the zones merged after 2020 whose number the reference
    data lacks get a provisional key built from their predecessors (``m5425-5426``), which the
    ``zone_codes`` setting replaces with the real number.
    """

    key: str
    name: str
    municipalities: tuple[str, ...]
    provisional: bool
    languages: tuple[Language, ...]


@dataclass(frozen=True)
class ReferenceTexts:
    """The text of the reference files, as read by the composition root."""

    municipalities: str
    police_zones: str
    adjacency: str
    languages: str
    names_de: str


@dataclass
class TerritoryRegistry:
    """Every territory prevnet knows, with name lookup and neighbourhood."""

    municipalities: Mapping[str, Municipality]
    zones: Mapping[str, PoliceZone]
    provinces: Mapping[str, Province]
    regions: Mapping[str, tuple[str, str]]
    _neighbours: Mapping[str, tuple[str, ...]]
    _index: dict[str, str] = field(default_factory=dict, repr=False)
    _zone_aliases: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for m in self.municipalities.values():
            for name in (m.name_nl, m.name_fr, m.name_de, m.nis):
                if name:
                    self._index.setdefault(fold(name), m.nis)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_texts(
        cls, texts: ReferenceTexts, zone_codes: Mapping[str, str] | None = None
    ) -> TerritoryRegistry:
        """Parse the reference files; ``zone_codes`` maps provisional zone keys to real numbers."""
        zone_codes = dict(zone_codes or {})
        languages = {r["nis_code"]: _languages(r["ngi_lang_code"]) for r in _rows(texts.languages)}
        names_de = {r["nis_code"]: r["name_de"] for r in _rows(texts.names_de)}
        zone_rows = list(_rows(texts.police_zones))
        zone_of: dict[str, str] = {}
        zone_aliases: dict[str, str] = {}
        zone_specs: list[tuple[str, str, tuple[str, ...], bool]] = []
        for row in zone_rows:
            members = tuple(row["municipality_nis_codes"].split("|"))
            code = row["zone_code"].strip()
            provisional_key = "m" + "-".join(row["predecessor_zone_codes_2020"].split("|"))
            key = code or zone_codes.get(provisional_key, provisional_key)
            if not code:
                zone_aliases[provisional_key] = key
            zone_specs.append(
                (key, row["zone_name_nl"], members, not code and key == provisional_key)
            )
            for nis in members:
                if nis in zone_of:
                    raise InvalidValue(f"reference data: municipality {nis} is in two zones")
                zone_of[nis] = key
        unknown = set(zone_codes) - set(zone_aliases)
        if unknown:
            raise InvalidValue(
                "zone_codes setting names zones that have no provisional key: "
                + ", ".join(sorted(unknown))
                + "; the provisional keys are "
                + ", ".join(sorted(zone_aliases))
            )
        provinces: dict[str, Province] = {}
        regions: dict[str, tuple[str, str]] = {}
        municipalities: dict[str, Municipality] = {}
        for row in _rows(texts.municipalities):
            nis = row["nis_code"]
            region = row["region_nis"]
            regions[region] = (row["region_nl"], row["region_fr"])
            province_nis = row["province_nis"] or region
            if province_nis == BRUSSELS_REGION_NIS and province_nis not in provinces:
                provinces[province_nis] = Province(
                    nis=province_nis,
                    name_nl=row["region_nl"],
                    name_fr=row["region_fr"],
                    name_de="Region Brüssel-Hauptstadt",
                    region_nis=region,
                )
            elif province_nis not in provinces:
                provinces[province_nis] = Province(
                    nis=province_nis,
                    name_nl=row["province_nl"],
                    name_fr=row["province_fr"],
                    name_de=row["province_de"],
                    region_nis=region,
                )
            langs = languages.get(nis, ())
            german = names_de.get(nis) or (row["name_nl"] if Language.DE in langs else None)
            if nis not in zone_of:
                raise InvalidValue(f"reference data: municipality {nis} has no police zone")
            municipalities[nis] = Municipality(
                nis=nis,
                name_nl=row["name_nl"],
                name_fr=row["name_fr"],
                name_de=german,
                province_nis=province_nis,
                region_nis=region,
                zone_key=zone_of[nis],
                languages=langs,
                lon=float(row["centroid_lon"]),
                lat=float(row["centroid_lat"]),
            )
        zones = {
            key: PoliceZone(
                key=key,
                name=name,
                municipalities=members,
                provisional=provisional,
                languages=_union(municipalities[n].languages for n in members),
            )
            for key, name, members, provisional in zone_specs
        }
        neighbours: dict[str, set[str]] = {nis: set() for nis in municipalities}
        for row in _rows(texts.adjacency):
            a, b = row["nis_a"], row["nis_b"]
            neighbours[a].add(b)
            neighbours[b].add(a)
        return cls(
            municipalities=municipalities,
            zones=zones,
            provinces=provinces,
            regions=regions,
            _neighbours={k: tuple(sorted(v)) for k, v in neighbours.items()},
            _zone_aliases=zone_aliases,
        )

    # -- lookups ------------------------------------------------------------------------------

    def find_municipality(self, query: str) -> Municipality:
        """The municipality a person meant, by NIS code or French, Dutch or German name.

        Case, accents, dashes and spacing do not matter. Raises UnknownTerritory with the closest
        names when nothing matches.
        """
        key = fold(query)
        nis = self._index.get(key)
        if nis is not None:
            return self.municipalities[nis]
        close = difflib.get_close_matches(key, list(self._index), n=5, cutoff=0.7)
        suggestions: list[str] = []
        for c in close:
            name = self.municipalities[self._index[c]].name
            if name not in suggestions:
                suggestions.append(name)
        raise UnknownTerritory(query, suggestions)

    def find_zone(self, query: str) -> PoliceZone | None:
        """The police zone with this key, number or provisional key, or None."""
        key = query.strip().lower()
        key = self._zone_aliases.get(key, key)
        return self.zones.get(key)

    def neighbours(self, nis: str) -> tuple[str, ...]:
        """The NIS codes of the municipalities sharing a border with this one."""
        return self._neighbours.get(nis, ())

    def zone_of(self, nis: str) -> PoliceZone:
        """The police zone that polices a municipality."""
        return self.zones[self.municipalities[nis].zone_key]

    def province_of(self, nis: str) -> Province:
        """The province of a municipality (the Brussels-Capital Region for Brussels)."""
        return self.provinces[self.municipalities[nis].province_nis]

    def find_province(self, query: str) -> Province | None:
        """A province by NIS code or any of its names ('Hainaut', 'Henegouwen', 'Lüttich')."""
        key = fold(query)
        for p in self.provinces.values():
            names = (p.nis, p.name_nl, p.name_fr, p.name_de)
            folded = {fold(n) for n in names if n}
            folded |= {_strip_province_word(f) for f in folded}
            if key in folded:
                return p
        return None


def _strip_province_word(folded: str) -> str:
    for prefix in ("provincie ", "province du ", "province de ", "province d ", "provinz "):
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


def _rows(text: str) -> Iterable[dict[str, str]]:
    return csv.DictReader(io.StringIO(text))


def _languages(ngi_code: str) -> tuple[Language, ...]:
    return tuple(_NGI_LANGUAGES[c] for c in ngi_code if c in _NGI_LANGUAGES)


def _union(groups: Iterable[tuple[Language, ...]]) -> tuple[Language, ...]:
    seen: list[Language] = []
    for group in groups:
        for lang in group:
            if lang not in seen:
                seen.append(lang)
    return tuple(seen)


def _both(first: str, second: str) -> str:
    return first if first == second else f"{first} ({second})"
