"""Settings: defaults, then a TOML file, then ``PREVNET_*`` environment variables, then options.

The only module that reads configuration; it hands typed values to everything else.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from phenomena.errors import PrevnetError
from phenomena.services.alerts import ModerationPolicy
from phenomena.storage.database import sqlite_url


class SettingsError(PrevnetError):
    """A setting is missing or malformed; the message names it and the fix."""


@dataclass(frozen=True)
class Settings:
    """Everything prevnet can be told, with working defaults for a first run."""

    data_dir: Path = Path("data")
    database_url: str | None = None
    reference_dir: Path | None = None
    server_name: str = "prevnet.localhost"
    zone_codes: Mapping[str, str] = field(default_factory=dict)
    moderation: ModerationPolicy = field(default_factory=ModerationPolicy)
    alert_grace_days: int = 7

    @property
    def database(self) -> str:
        """The database URL: the setting, or an SQLite file in the data directory."""
        return self.database_url or sqlite_url(self.data_dir.resolve() / "prevnet.sqlite3")


_ENV = {
    "PREVNET_DATA_DIR": "data_dir",
    "PREVNET_DATABASE_URL": "database_url",
    "PREVNET_REFERENCE_DIR": "reference_dir",
    "PREVNET_SERVER_NAME": "server_name",
}


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the settings from a TOML file (optional), the environment and explicit overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or (Path(env["PREVNET_CONFIG"]) if "PREVNET_CONFIG" in env else None)
    if path is not None:
        values.update(_read_toml(path))
    for var, name in _ENV.items():
        if env.get(var):
            values[name] = env[var]
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return _build(values)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(
            f"settings file {path} does not exist: copy config/prevnet.example.toml there"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from None
    values: dict[str, Any] = dict(document.get("prevnet", {}))
    if "moderation" in document:
        values["moderation"] = document["moderation"]
    if "zone_codes" in document:
        values["zone_codes"] = document["zone_codes"]
    return values


def _build(values: dict[str, Any]) -> Settings:
    known = {
        "data_dir",
        "database_url",
        "reference_dir",
        "server_name",
        "zone_codes",
        "moderation",
        "alert_grace_days",
    }
    unknown = set(values) - known
    if unknown:
        raise SettingsError(
            f"unknown setting(s) {', '.join(sorted(unknown))}: the settings are "
            + ", ".join(sorted(known))
        )
    settings = Settings()
    try:
        if "data_dir" in values:
            settings = replace(settings, data_dir=Path(values["data_dir"]).expanduser())
        if "reference_dir" in values:
            settings = replace(settings, reference_dir=Path(values["reference_dir"]).expanduser())
        if "database_url" in values:
            settings = replace(settings, database_url=str(values["database_url"]))
        if "server_name" in values:
            settings = replace(settings, server_name=str(values["server_name"]))
        if "zone_codes" in values:
            codes = {str(k): str(v) for k, v in dict(values["zone_codes"]).items()}
            settings = replace(settings, zone_codes=codes)
        if "moderation" in values:
            policy = dict(values["moderation"])
            settings = replace(
                settings,
                moderation=ModerationPolicy(
                    moderate_non_police=bool(policy.get("non_police", True)),
                    moderate_clear=bool(policy.get("clear", True)),
                ),
            )
        if "alert_grace_days" in values:
            grace = int(values["alert_grace_days"])
            if grace < 0:
                raise ValueError("alert_grace_days must be 0 or more")
            settings = replace(settings, alert_grace_days=grace)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"invalid setting: {exc}") from None
    return settings
