"""Finding and reading the shipped reference data (Belgian territories)."""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path

from bots.maps import Outlines, read_outlines
from phenomena.territory import ReferenceTexts, TerritoryRegistry
from prevnet.settings import Settings, SettingsError

_FILES = {
    "municipalities": "municipalities_2025.csv",
    "police_zones": "police_zones_2025.csv",
    "adjacency": "municipality_adjacency_2025.csv",
    "languages": "municipality_language_2025.csv",
    "names_de": "municipality_names_de.csv",
}


def shipped_config_dir() -> Path:
    """The ``config/`` directory: inside the installed wheel, or the source checkout."""
    packaged = Path(str(resources.files("prevnet"))) / "_shipped_config"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "config"


def reference_dir(settings: Settings) -> Path:
    """Where the Belgian reference files are (the setting, or the shipped copy)."""
    return settings.reference_dir or shipped_config_dir() / "reference" / "belgium"


def load_territories(settings: Settings) -> TerritoryRegistry:
    """Read the reference files and build the territory registry."""
    folder = reference_dir(settings)
    texts: dict[str, str] = {}
    for name, filename in _FILES.items():
        path = folder / filename
        try:
            texts[name] = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SettingsError(
                f"reference file {path} is missing: set reference_dir to a copy of "
                "config/reference/belgium"
            ) from None
    return TerritoryRegistry.from_texts(ReferenceTexts(**texts), settings.zone_codes)


def load_outlines(settings: Settings) -> Outlines:
    """Municipality outlines for maps (NGI 2019 shapes filed under their 2025 codes)."""
    folder = reference_dir(settings)
    mergers = (folder / "municipality_mergers_2019_2025.csv").read_text(encoding="utf-8")
    merged = {r["nis_2019"]: r["nis_2025"] for r in csv.DictReader(io.StringIO(mergers))}
    topology = (folder / "municipalities_2020_ngi.topo.json").read_text(encoding="utf-8")
    return read_outlines(topology, merged)
