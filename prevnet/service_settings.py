"""The ``[discourse]`` and ``[email]`` tables: the services prevnet talks to, each checked so that
what is missing or wrong is named with the fix."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DiscourseSettings:
    """The ``[discourse]`` table: where the toolbox is and how the bridge talks to it."""

    url: str
    api_key: str
    webhook_secret: str
    api_username: str = "system"
    webhook_url: str | None = None  # where Discourse reaches the receiver; None: register none
    listen_host: str = "127.0.0.1"
    listen_port: int = 8091
    toolbox_category: str = "Toolbox"
    alerts_category: str | None = None  # one category for all alert topics; None: per province
    requests_per_minute: int = 60
    member_sync_hours: float = 6.0  # retry members who had no toolbox account yet
    window_seconds: float = 60.0  # Discourse's window; only tests compress it
    timeout_seconds: float = 15.0
    external_prefix: str = "prevnet"


@dataclass(frozen=True)
class EmailSettings:
    """The ``[email]`` table: the SMTP relay prevnet sends through, and its own receiver."""

    smtp_host: str
    from_address: str  # e.g. "prevnet <prevnet@prevnet.example.be>"
    smtp_port: int = 587
    smtp_starttls: bool = True  # upgrade the connection with STARTTLS before sending
    smtp_username: str | None = None  # both or neither: log in to the relay
    smtp_password: str | None = field(default=None, repr=False)
    reply_domain: str | None = None  # the domain of bulletin Reply-To addresses (receiver)
    listen_host: str = "127.0.0.1"  # prevnet's inbound SMTP receiver
    listen_port: int = 8025
    secret: str | None = field(default=None, repr=False)  # signs mail links (32+ characters)
    timeout_seconds: float = 30.0


def parse_discourse(table: dict[str, Any]) -> DiscourseSettings:
    """The ``[discourse]`` table, checked: what is missing or wrong is named with the fix."""
    fields = {f.name: f for f in dataclasses.fields(DiscourseSettings)}
    unknown = set(table) - set(fields)
    if unknown:
        raise ValueError(
            f"unknown [discourse] setting(s) {', '.join(sorted(unknown))}: the settings are "
            + ", ".join(fields)
        )
    missing = [n for n in ("url", "api_key", "webhook_secret") if not table.get(n)]
    if missing:
        raise ValueError(
            f"[discourse] needs {', '.join(missing)}: the toolbox's URL, an admin API key "
            "(Discourse: Admin > API > New key) and the web hook secret you chose"
        )
    if len(str(table["webhook_secret"])) < 12:
        raise ValueError("[discourse] webhook_secret must be at least 12 characters")
    kwargs: dict[str, Any] = {}
    for name, value in table.items():
        kind = fields[name].type
        if kind == "int":
            kwargs[name] = int(value)
        elif kind == "float":
            kwargs[name] = float(value)
        else:
            kwargs[name] = str(value)
    settings = DiscourseSettings(**kwargs)
    if not settings.url.startswith(("http://", "https://")):
        raise ValueError(f"[discourse] url {settings.url!r}: write https://toolbox.example.be")
    if settings.requests_per_minute < 1 or settings.window_seconds <= 0:
        raise ValueError("[discourse] requests_per_minute and window_seconds must be positive")
    return settings


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def parse_email(table: dict[str, Any]) -> EmailSettings:
    """The ``[email]`` table, checked: what is missing or wrong is named with the fix."""
    fields = {f.name: f for f in dataclasses.fields(EmailSettings)}
    unknown = set(table) - set(fields)
    if unknown:
        raise ValueError(
            f"unknown [email] setting(s) {', '.join(sorted(unknown))}: the settings are "
            + ", ".join(fields)
        )
    missing = [n for n in ("smtp_host", "from_address") if not table.get(n)]
    if missing:
        raise ValueError(
            f"[email] needs {', '.join(missing)}: the SMTP relay's host name (PREVNET_SMTP_HOST) "
            "and the sender address, e.g. prevnet@prevnet.example.be (PREVNET_EMAIL_FROM)"
        )
    kwargs: dict[str, Any] = {}
    for name, value in table.items():
        kind = fields[name].type
        if kind == "int":
            kwargs[name] = int(value)
        elif kind == "float":
            kwargs[name] = float(value)
        elif kind == "bool":
            if isinstance(value, bool):
                kwargs[name] = value
            elif str(value).lower() in _TRUE + _FALSE:
                kwargs[name] = str(value).lower() in _TRUE
            else:
                raise ValueError(f"[email] {name} {value!r}: write true or false")
        else:
            kwargs[name] = str(value)
    settings = EmailSettings(**kwargs)
    for name in ("smtp_port", "listen_port"):
        port = getattr(settings, name)
        if not (0 if name == "listen_port" else 1) <= port <= 65535:
            raise ValueError(f"[email] {name} cannot be {port}: give a port from 1 to 65535")
    if "@" not in settings.from_address:
        raise ValueError(
            f"[email] from_address {settings.from_address!r} is not an e-mail address: "
            "write e.g. prevnet@prevnet.example.be"
        )
    if (settings.smtp_username is None) != (settings.smtp_password is None):
        raise ValueError(
            "[email] smtp_username and smtp_password go together: give both to log in to the "
            "relay, or neither"
        )
    if settings.reply_domain is not None and (
        "@" in settings.reply_domain or "." not in settings.reply_domain
    ):
        raise ValueError(
            f"[email] reply_domain {settings.reply_domain!r}: write a domain, "
            "e.g. reply.prevnet.example.be"
        )
    if settings.secret is not None and len(settings.secret) < 32:
        raise ValueError(
            "[email] secret must be at least 32 characters; make one with: "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    if settings.timeout_seconds <= 0:
        raise ValueError("[email] timeout_seconds must be positive")
    return settings
