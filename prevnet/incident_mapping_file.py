"""The import's settings: a mapping file (YAML) under the command line's options, same names.

A source's export looks the same every month, so its columns, separator, date format and type
values are written once in a mapping file; an option on the command line wins over the file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from phenomena.errors import DomainError
from phenomena.incident_files.dates import time_format_named
from phenomena.incident_files.dialect import delimiter_named, encoding_named
from phenomena.incident_files.type_map import TypeMap
from phenomena.incidents import ROLES, IncidentMapping
from phenomena.taxonomy import PhenomenonType
from prevnet.incident_sources import FileOptions
from prevnet.settings import SettingsError

SETTINGS = ("crs", "default_type", "delimiter", "encoding", "time_format")
"""Keys of the mapping file beside the columns (ROLES) and ``types``."""
_CHECKS: dict[str, Callable[[str], object]] = {
    "default_type": PhenomenonType.parse,
    "delimiter": delimiter_named,
    "encoding": encoding_named,
    "time_format": time_format_named,
}


@dataclass(frozen=True)
class ImportSettings:
    """How to open the file and how to read its records."""

    mapping: IncidentMapping
    file: FileOptions


def _load(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path} is not YAML: {exc}") from None
    if not isinstance(loaded, dict):
        raise SettingsError(f"{path} should map roles to columns, e.g. 'time: date'")
    keys = (*ROLES, *SETTINGS, "types")
    unknown = sorted(str(k) for k in set(loaded) - set(keys))
    if unknown:
        raise SettingsError(f"{path}: unknown keys {unknown}; the keys are {', '.join(keys)}")
    return loaded


def _checked(values: Mapping[str, str], where: str) -> dict[str, Any]:
    """Each value as the import uses it, or SettingsError naming the key."""
    out: dict[str, Any] = dict(values)
    for key, check in _CHECKS.items():
        if key in values:
            try:
                out[key] = check(values[key])
            except DomainError as exc:
                raise SettingsError(f"{where}: {key}: {exc}") from None
    return out


def import_settings(options: Mapping[str, Any], mapping_file: Path | None) -> ImportSettings:
    """The mapping file's settings, each replaced by the command line's option when given."""
    from_file: dict[str, Any] = {}
    types = TypeMap()
    if mapping_file is not None:
        loaded = _load(mapping_file)
        try:
            types = TypeMap.parse(loaded.pop("types", None), str(mapping_file))
        except DomainError as exc:
            raise SettingsError(str(exc)) from None
        plain = {k: str(v) for k, v in loaded.items() if v is not None}
        from_file = _checked(plain, str(mapping_file))
    given = {k: v for k, v in options.items() if v is not None}
    values = {**from_file, **given}
    if "default_type" in given:
        only = {"default_type": given["default_type"]}
        values["default_type"] = _checked(only, "--default-type")["default_type"]
    if "time" not in values:
        raise SettingsError("say which column holds the time: --time COLUMN (or in --mapping)")
    mapping = IncidentMapping(
        **{k: values[k] for k in (*ROLES, "crs", "default_type", "time_format") if k in values},
        types=types,
    )
    return ImportSettings(mapping, FileOptions(values.get("delimiter"), values.get("encoding")))
