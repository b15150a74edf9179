"""Settings: defaults, then a TOML file, then ``PREVNET_*`` environment variables, then options.

The only module that reads configuration; it hands typed values to everything else.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from phenomena.errors import PrevnetError
from phenomena.services.alerts import ModerationPolicy
from phenomena.storage.database import sqlite_url
from prevnet.attention_settings import AttentionSettings, parse_attention
from prevnet.capsule_settings import CapsuleSettings, parse_capsules
from prevnet.page_guards import proxy_networks
from prevnet.service_settings import (
    DiscourseSettings,
    EmailSettings,
    parse_discourse,
    parse_email,
)

__all__ = ["DiscourseSettings", "EmailSettings", "Settings", "SettingsError", "load_settings"]


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
    homeserver_port: int = 8008
    homeserver_url: str | None = None
    homeserver_token: str | None = None
    reconcile_minutes: int = 15
    digest_day: str = "mon"
    digest_time: str = "08:00"
    detection_time: str = "06:00"
    api_host: str = "127.0.0.1"
    api_port: int = 8090  # the incident API; 0 switches it off
    retention_days: int = 365  # then closed alerts' and incidents' personal data is purged
    timezone: str = "Europe/Brussels"
    retry_seconds: float = 2.0  # first retry of a failed outbox delivery; doubles up to 5 min
    outbox_max_attempts: int = 8  # then an event that keeps failing is set aside as a dead letter
    discourse: DiscourseSettings | None = None  # the toolbox bridge; None: no bridge
    email: EmailSettings | None = None  # e-mail out (and in); None: nothing is sent
    attention: AttentionSettings = field(default_factory=AttentionSettings)  # escalation, budget
    capsules: CapsuleSettings = field(default_factory=CapsuleSettings)  # citizen capsules
    public_url: str | None = None  # where browsers reach prevnet's pages; None: the API's address
    # proxies (IPs/CIDRs) whose X-Forwarded-For names the visitor; none trusted by default
    trusted_proxies: tuple[str, ...] = ()

    @property
    def embedded_homeserver(self) -> bool:
        """Whether prevnet runs its own homeserver (no ``homeserver_url`` set)."""
        return self.homeserver_url is None

    def existing_homeserver(self) -> tuple[str, str]:
        """The URL (without a trailing slash) and bot token of a homeserver prevnet does not run."""
        if self.homeserver_url is None:
            raise SettingsError("no homeserver_url is set: prevnet runs its own homeserver")
        if not self.homeserver_token:
            raise SettingsError(
                "homeserver_url is set but homeserver_token is not: give the access token of a "
                "server-admin account for the bot (PREVNET_HOMESERVER_TOKEN)"
            )
        return self.homeserver_url.rstrip("/"), self.homeserver_token

    @property
    def database(self) -> str:
        """The database URL: the setting, or an SQLite file in the data directory."""
        return self.database_url or sqlite_url(self.data_dir.resolve() / "prevnet.sqlite3")

    @property
    def pages_url(self) -> str:
        """The base URL of prevnet's web pages (set-password...), without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.api_host}:{self.api_port}"

    def require_email(self, action: str) -> EmailSettings:
        """The ``[email]`` settings, or a SettingsError saying that ``action`` needs them."""
        if self.email is None:
            raise SettingsError(
                f"e-mail is not set up, so {action} cannot be sent: add an [email] table with "
                "smtp_host and from_address to the settings file (or set PREVNET_SMTP_HOST and "
                "PREVNET_EMAIL_FROM)"
            )
        return self.email


_ENV = {
    "PREVNET_DATA_DIR": "data_dir",
    "PREVNET_DATABASE_URL": "database_url",
    "PREVNET_REFERENCE_DIR": "reference_dir",
    "PREVNET_SERVER_NAME": "server_name",
    "PREVNET_HOMESERVER_URL": "homeserver_url",
    "PREVNET_HOMESERVER_TOKEN": "homeserver_token",
    "PREVNET_API_PORT": "api_port",
    "PREVNET_API_HOST": "api_host",
    "PREVNET_RETRY_SECONDS": "retry_seconds",
    "PREVNET_OUTBOX_MAX_ATTEMPTS": "outbox_max_attempts",
    "PREVNET_PUBLIC_URL": "public_url",
    "PREVNET_TRUSTED_PROXIES": "trusted_proxies",
}
_EMAIL_ENV = {
    "PREVNET_SMTP_HOST": "smtp_host",
    "PREVNET_SMTP_PORT": "smtp_port",
    "PREVNET_SMTP_STARTTLS": "smtp_starttls",
    "PREVNET_SMTP_USERNAME": "smtp_username",
    "PREVNET_SMTP_PASSWORD": "smtp_password",
    "PREVNET_EMAIL_FROM": "from_address",
    "PREVNET_EMAIL_REPLY_DOMAIN": "reply_domain",
    "PREVNET_EMAIL_LISTEN_HOST": "listen_host",
    "PREVNET_EMAIL_LISTEN_PORT": "listen_port",
    "PREVNET_EMAIL_SECRET": "secret",
    "PREVNET_SMTP_TIMEOUT_SECONDS": "timeout_seconds",
}
_DISCOURSE_ENV = {
    "PREVNET_DISCOURSE_URL": "url",
    "PREVNET_DISCOURSE_API_KEY": "api_key",
    "PREVNET_DISCOURSE_API_USERNAME": "api_username",
    "PREVNET_DISCOURSE_WEBHOOK_SECRET": "webhook_secret",
    "PREVNET_DISCOURSE_WEBHOOK_URL": "webhook_url",
    "PREVNET_DISCOURSE_LISTEN_HOST": "listen_host",
    "PREVNET_DISCOURSE_LISTEN_PORT": "listen_port",
    "PREVNET_DISCOURSE_WINDOW_SECONDS": "window_seconds",
    "PREVNET_DISCOURSE_TIMEOUT_SECONDS": "timeout_seconds",
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
    for var, name in _DISCOURSE_ENV.items():
        if env.get(var):
            values.setdefault("discourse", {})
            values["discourse"] = {**values["discourse"], name: env[var]}
    for var, name in _EMAIL_ENV.items():
        if env.get(var):
            values["email"] = {**values.get("email", {}), name: env[var]}
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
    for table in ("discourse", "email", "attention", "capsules"):
        if table in document:
            values[table] = document[table]
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
        "homeserver_port",
        "homeserver_url",
        "homeserver_token",
        "reconcile_minutes",
        "digest_day",
        "digest_time",
        "detection_time",
        "timezone",
        "api_host",
        "api_port",
        "retention_days",
        "discourse",
        "retry_seconds",
        "outbox_max_attempts",
        "email",
        "attention",
        "capsules",
        "public_url",
        "trusted_proxies",
    }
    unknown = set(values) - known
    if unknown:
        raise SettingsError(
            f"unknown setting(s) {', '.join(sorted(unknown))}: the settings are "
            + ", ".join(sorted(known))
        )
    kwargs: dict[str, Any] = {}
    try:
        for name in ("data_dir", "reference_dir"):
            if name in values:
                kwargs[name] = Path(values[name]).expanduser()
        if "digest_day" in values:
            day = str(values["digest_day"]).lower()[:3]
            if day not in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
                raise ValueError(f"digest_day {values['digest_day']!r}: write mon, tue ... sun")
            kwargs["digest_day"] = day
        for name in ("digest_time", "detection_time"):
            if name in values:
                hour, _, minute = str(values[name]).partition(":")
                if not (
                    hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60
                ):
                    raise ValueError(f"{name} {values[name]!r}: write HH:MM")
                kwargs[name] = f"{int(hour):02d}:{int(minute):02d}"
        for name in (
            "database_url",
            "server_name",
            "homeserver_url",
            "homeserver_token",
            "timezone",
            "api_host",
        ):
            if name in values:
                kwargs[name] = str(values[name])
        for name in (
            "homeserver_port",
            "reconcile_minutes",
            "alert_grace_days",
            "api_port",
            "retention_days",
            "outbox_max_attempts",
        ):
            if name in values:
                number = int(values[name])
                if number < (0 if name in ("alert_grace_days", "api_port") else 1):
                    raise ValueError(f"{name} cannot be {number}")
                kwargs[name] = number
        if "zone_codes" in values:
            kwargs["zone_codes"] = {str(k): str(v) for k, v in dict(values["zone_codes"]).items()}
        if "moderation" in values:
            policy = dict(values["moderation"])
            kwargs["moderation"] = ModerationPolicy(
                moderate_non_police=bool(policy.get("non_police", True)),
                moderate_clear=bool(policy.get("clear", True)),
            )
        if "retry_seconds" in values:
            retry = float(values["retry_seconds"])
            if not 0 < retry <= 300:
                raise ValueError(f"retry_seconds cannot be {retry}: give 0.1 to 300")
            kwargs["retry_seconds"] = retry
        if "discourse" in values:
            kwargs["discourse"] = parse_discourse(dict(values["discourse"]))
        if "email" in values:
            kwargs["email"] = parse_email(dict(values["email"]))
        if "attention" in values:
            kwargs["attention"] = parse_attention(dict(values["attention"]))
        if "capsules" in values:
            kwargs["capsules"] = parse_capsules(dict(values["capsules"]))
        if "trusted_proxies" in values:
            kwargs["trusted_proxies"] = _trusted_proxies(values["trusted_proxies"])
        if values.get("public_url"):
            kwargs["public_url"] = _public_url(str(values["public_url"]))
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"invalid setting: {exc}") from None
    settings = Settings(**kwargs)
    if settings.homeserver_url:
        settings.existing_homeserver()  # a missing token is named now, not at start-up
    return settings


def _trusted_proxies(value: object) -> tuple[str, ...]:
    """A list (TOML) or comma-separated text (PREVNET_TRUSTED_PROXIES) of IPs or CIDRs."""
    entries = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    cleaned = tuple(str(e).strip() for e in entries if str(e).strip())
    proxy_networks(cleaned)  # a ValueError names the wrong entry
    return cleaned


def _public_url(url: str) -> str:
    if not url.startswith(("http://", "https://")) or "?" in url or "#" in url:
        raise ValueError(
            f"public_url {url!r}: write the address members' browsers reach prevnet's pages at, "
            "e.g. https://prevnet.example.be"
        )
    return url.rstrip("/")
