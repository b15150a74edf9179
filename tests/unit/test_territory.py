"""Territory lookups as people type them, and the facts of the reference data."""

from __future__ import annotations

import pytest

from phenomena.errors import InvalidValue, UnknownTerritory
from phenomena.territory import Language, ReferenceTexts, TerritoryRegistry
from prevnet.reference import reference_dir
from prevnet.settings import Settings


def test_belgium_has_565_municipalities_and_every_one_a_zone(
    territories: TerritoryRegistry,
) -> None:
    assert len(territories.municipalities) == 565
    assert len(territories.zones) == 176
    for m in territories.municipalities.values():
        assert m.nis in territories.zones[m.zone_key].municipalities
        assert territories.neighbours(m.nis), f"{m.name} has no neighbour"


@pytest.mark.parametrize("query", ["Mons", "mons", "MONS", "Bergen", "53053", " mons "])
def test_mons_by_french_dutch_name_or_code(territories: TerritoryRegistry, query: str) -> None:
    m = territories.find_municipality(query)
    assert m.nis == "53053"
    assert territories.zone_of(m.nis).key == "5324"
    assert territories.province_of(m.nis).name_fr == "Province du Hainaut"


@pytest.mark.parametrize(
    ("query", "nis"),
    [
        ("Quevy", "53084"),
        ("quévy", "53084"),
        ("Lüttich", "62063"),
        ("luttich", "62063"),
        ("Liege", "62063"),
        ("Luik", "62063"),
        ("sint pieters woluwe", "21019"),
        ("Woluwe-Saint-Pierre", "21019"),
        ("Büllingen", "63012"),
        ("Bullange", "63012"),
    ],
)
def test_lookup_tolerates_case_accents_dashes_and_language(
    territories: TerritoryRegistry, query: str, nis: str
) -> None:
    assert territories.find_municipality(query).nis == nis


def test_unknown_name_suggests_the_closest(territories: TerritoryRegistry) -> None:
    with pytest.raises(UnknownTerritory) as caught:
        territories.find_municipality("Monz")
    assert "Mons (Bergen)" in caught.value.suggestions
    assert "Did you mean" in str(caught.value)


def test_nonsense_gets_advice_not_suggestions(territories: TerritoryRegistry) -> None:
    with pytest.raises(UnknownTerritory) as caught:
        territories.find_municipality("xqzwv")
    assert caught.value.suggestions == ()
    assert "NIS code" in str(caught.value)


def test_neighbours_of_mons_include_quevy_and_jurbise(territories: TerritoryRegistry) -> None:
    names = {territories.municipalities[n].name_fr for n in territories.neighbours("53053")}
    assert {"Quévy", "Jurbise", "Frameries", "La Louvière"} <= names
    assert "Liège" not in names


def test_language_areas(territories: TerritoryRegistry) -> None:
    assert territories.find_municipality("Mons").languages == (Language.FR,)
    assert territories.find_municipality("Gent").languages == (Language.NL,)
    assert territories.find_municipality("Eupen").languages == (Language.DE,)
    assert set(territories.find_municipality("Brussel").languages) == {Language.FR, Language.NL}
    assert territories.find_municipality("Eupen").name_de == "Eupen"


def test_brussels_region_stands_in_for_a_province(territories: TerritoryRegistry) -> None:
    province = territories.province_of(territories.find_municipality("Ixelles").nis)
    assert province.nis == "04000"
    assert "Bruxelles" in province.name_fr


def test_zones_without_number_get_stable_provisional_keys(territories: TerritoryRegistry) -> None:
    provisional = sorted(z.key for z in territories.zones.values() if z.provisional)
    assert len(provisional) == 8
    assert "m5425-5426" in provisional
    oudenaarde = territories.find_municipality("Oudenaarde")
    assert oudenaarde.zone_key == "m5425-5426"


def _texts() -> ReferenceTexts:
    folder = reference_dir(Settings())

    def read(name: str) -> str:
        return (folder / name).read_text(encoding="utf-8")

    return ReferenceTexts(
        municipalities=read("municipalities_2025.csv"),
        police_zones=read("police_zones_2025.csv"),
        adjacency=read("municipality_adjacency_2025.csv"),
        languages=read("municipality_language_2025.csv"),
        names_de=read("municipality_names_de.csv"),
    )


def test_configuration_sets_the_real_number_of_a_zone() -> None:
    registry = TerritoryRegistry.from_texts(_texts(), {"m5425-5426": "5999"})
    zone = registry.zone_of(registry.find_municipality("Oudenaarde").nis)
    assert zone.key == "5999"
    assert not zone.provisional
    assert registry.find_zone("m5425-5426") is zone  # the old key still finds it


def test_configuration_naming_an_unknown_zone_is_an_error() -> None:
    with pytest.raises(InvalidValue, match="m5425-5426"):
        TerritoryRegistry.from_texts(_texts(), {"m0000": "5999"})


def test_provinces_found_by_any_name(territories: TerritoryRegistry) -> None:
    for name in ("Hainaut", "Henegouwen", "Provinz Hennegau", "50000", "province du hainaut"):
        province = territories.find_province(name)
        assert province is not None
        assert province.nis == "50000"
    assert territories.find_province("Atlantis") is None
