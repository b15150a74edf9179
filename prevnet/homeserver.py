"""The embedded homeserver: a closed Synapse configuration, generated once, started and stopped.

Closed means: one listener on 127.0.0.1 serving only the client API (federation endpoints answer
404), an empty federation whitelist and no trusted key servers, registration off (accounts are
made by prevnet with the shared secret), no public room directory, room addresses made by the bot
only, profiles and user search limited to people who share a room, prevnet's Synapse module
(``prevnet/synapse_rules.py``) loaded, and secrets generated at first run with owner-only
permissions. A production deployment points prevnet at its own homeserver instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from phenomena.errors import PrevnetError
from prevnet.bot_account import BOT_LOCALPART


class HomeserverError(PrevnetError):
    """The homeserver could not be configured or started; the message says what to check."""


@dataclass(frozen=True)
class HomeserverOptions:
    """What may differ between a production-like run and a test run."""

    server_name: str
    port: int
    bcrypt_rounds: int = 12
    relaxed_rate_limits: bool = False  # tests only: no rate limit is ever hit
    demo_logins: bool = False  # the demo: its accounts all log in from one loopback address
    bot_localpart: str = BOT_LOCALPART

    @property
    def bot_user_id(self) -> str:
        """The bot's Matrix ID: the one account the homeserver's rules let manage rooms."""
        return f"@{self.bot_localpart}:{self.server_name}"


@dataclass(frozen=True)
class HomeserverFiles:
    """Where an embedded homeserver keeps its files, all under one directory."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "homeserver.yaml"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets.json"

    @property
    def log(self) -> Path:
        return self.root / "homeserver.log"

    @property
    def log_config(self) -> Path:
        return self.root / "log.yaml"


def _owner_only(path: Path, text: str) -> None:
    """Write a file readable by its owner only (created so, never widened afterwards)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)


def load_or_create_secrets(files: HomeserverFiles) -> dict[str, str]:
    """The homeserver's secrets, generated at first run and kept with mode 0600."""
    if files.secrets.exists():
        loaded: dict[str, str] = json.loads(files.secrets.read_text(encoding="utf-8"))
        return loaded
    values = {
        name: secrets.token_urlsafe(48)
        for name in ("registration_shared_secret", "macaroon_secret_key", "form_secret")
    }
    _owner_only(files.secrets, json.dumps(values, indent=2))
    return values


EMBEDDED_RULES_MODULE = "prevnet.synapse_rules.PrevnetRules"
# in the container, the same file copied into the mounted directory (PYTHONPATH in compose)
RULES_FILE = Path(__file__).with_name("synapse_rules.py")
DEPLOYED_RULES_MODULE = "prevnet_synapse_rules.PrevnetRules"

# the demo's login limits: its ten accounts share one loopback address, where Synapse's defaults
# allow about five logins and then one every ~5.5 minutes; production keeps those defaults
_DEMO_LOGINS = {
    "address": {"per_second": 1, "burst_count": 50},
    "account": {"per_second": 0.5, "burst_count": 10},
    "failed_attempts": {"per_second": 0.2, "burst_count": 10},
}


def _bot_only(bot: str) -> list[dict[str, str]]:
    """Synapse directory rules: the bot may, nobody else."""
    return [
        {"user_id": bot, "alias": "*", "room_id": "*", "action": "allow"},
        {"user_id": "*", "alias": "*", "room_id": "*", "action": "deny"},
    ]


def closed_config(
    files: HomeserverFiles, options: HomeserverOptions, rules_module: str = EMBEDDED_RULES_MODULE
) -> dict[str, Any]:
    """The Synapse configuration of a closed network (see the module docstring)."""
    keys = load_or_create_secrets(files)
    bot = options.bot_user_id
    config: dict[str, Any] = {
        "server_name": options.server_name,
        "pid_file": str(files.root / "homeserver.pid"),
        "public_baseurl": f"http://127.0.0.1:{options.port}/",
        "listeners": [
            {
                "port": options.port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(files.root / "homeserver.db")}},
        "log_config": str(files.log_config),
        "media_store_path": str(files.root / "media_store"),
        "signing_key_path": str(files.root / f"{options.server_name}.signing.key"),
        "report_stats": False,
        "enable_metrics": False,
        # closed: no federation, no key servers
        "federation_domain_whitelist": [],
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "allow_public_rooms_over_federation": False,
        # closed: accounts only through prevnet
        "enable_registration": False,
        "registration_shared_secret": keys["registration_shared_secret"],
        "macaroon_secret_key": keys["macaroon_secret_key"],
        "form_secret": keys["form_secret"],
        "allow_guest_access": False,
        "enable_3pid_changes": False,
        "enable_set_displayname": False,
        "enable_set_avatar_url": True,
        # closed: no public directory, people see only those they share a room with
        "allow_public_rooms_without_auth": False,
        # prevnet publishes no room, so nobody may, the bot included
        "room_list_publication_rules": [{"action": "deny"}],
        # only the bot names rooms: no member can take an address prevnet or a person relies on
        "alias_creation_rules": _bot_only(bot),
        "modules": [
            {
                "module": rules_module,
                "config": {"bot": bot, "bot_names": sorted({"prevnet", options.bot_localpart})},
            }
        ],
        "require_auth_for_profile_requests": True,
        "limit_profile_requests_to_users_who_share_rooms": True,
        "include_profile_data_on_invite": False,
        "user_directory": {"enabled": True, "search_all_users": False},
        "encryption_enabled_by_default_for_room_type": "all",
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "enable_authenticated_media": True,  # media only for accounts, over the client API
        "bcrypt_rounds": options.bcrypt_rounds,
    }
    if options.demo_logins:
        config["rc_login"] = _DEMO_LOGINS
    if options.relaxed_rate_limits:
        generous = {"per_second": 1000, "burst_count": 1000}
        config.update(
            {
                "rc_message": generous,
                "rc_registration": generous,
                "rc_login": {"address": generous, "account": generous, "failed_attempts": generous},
                "rc_joins": {"local": generous, "remote": generous},
                "rc_joins_per_room": generous,
                "rc_invites": {"per_room": generous, "per_user": generous, "per_issuer": generous},
                "rc_admin_redaction": generous,
                "rc_room_creation": generous,
            }
        )
    return config


_LOG_CONFIG = """\
version: 1
formatters:
  precise:
    format: '%(asctime)s %(levelname)s %(name)s %(message)s'
handlers:
  file:
    class: logging.handlers.RotatingFileHandler
    formatter: precise
    filename: {log}
    maxBytes: 10485760
    backupCount: 3
    encoding: utf8
loggers:
  synapse.storage.SQL:
    level: WARNING
root:
  level: {level}
  handlers: [file]
disable_existing_loggers: false
"""


def write_config(files: HomeserverFiles, options: HomeserverOptions) -> Path:
    """Write (or rewrite) the configuration and generate the signing key if it is missing.

    Rewriting on every start keeps the closed settings authoritative: a hand edit that opens
    the server is undone. Secrets and keys are kept across runs.
    """
    files.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    files.root.chmod(0o700)
    config = closed_config(files, options)
    _owner_only(files.config, yaml.safe_dump(config, sort_keys=False))
    _owner_only(files.log_config, _LOG_CONFIG.format(log=files.log, level="WARNING"))
    key = Path(config["signing_key_path"])
    if not key.exists():
        result = subprocess.run(  # noqa: S603 - our own interpreter and generated file
            [
                sys.executable,
                "-m",
                "synapse.app.homeserver",
                "-c",
                str(files.config),
                "--generate-keys",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise HomeserverError(f"could not generate the signing key:\n{result.stderr[-2000:]}")
        key.chmod(0o600)
    return files.config


class Homeserver:
    """A running embedded Synapse process; it stops when the process that started it ends."""

    def __init__(self, files: HomeserverFiles, options: HomeserverOptions) -> None:
        self.files = files
        self.options = options
        self._process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        """The client API base URL."""
        return f"http://127.0.0.1:{self.options.port}"

    @property
    def registration_shared_secret(self) -> str:
        """The secret prevnet uses to create accounts."""
        return load_or_create_secrets(self.files)["registration_shared_secret"]

    async def start(self, startup_seconds: float = 60.0) -> None:
        """Write the configuration, start Synapse and wait until clients can talk to it."""
        await asyncio.to_thread(write_config, self.files, self.options)
        log = self.files.root / "homeserver.stderr"
        with log.open("ab") as err:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "prevnet.homeserver_child",  # Synapse, stopped by Linux when prevnet dies
                str(os.getpid()),
                "-c",
                str(self.files.config),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=err,
                cwd=self.files.root,
                start_new_session=True,  # Ctrl-C goes to prevnet, which stops Synapse in order
            )
        deadline = time.monotonic() + startup_seconds
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self._process.returncode is not None:
                    tail = log.read_text(errors="replace")[-3000:]
                    raise HomeserverError(
                        f"the homeserver stopped during start-up (is port {self.options.port} "
                        f"free?):\n{tail}"
                    )
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with http.get(f"{self.url}/_matrix/client/versions") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)
        await self.stop()
        raise HomeserverError(
            f"the homeserver did not answer within {startup_seconds:.0f} s; see {log}"
        )

    async def stop(self, grace_seconds: float = 20.0) -> None:
        """Stop Synapse: SIGTERM, then SIGKILL if it does not stop in time."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), grace_seconds)
        except TimeoutError:
            process.kill()
            await process.wait()


@dataclass(frozen=True)
class DeploymentOptions:
    """A homeserver in the compose stack: Synapse in its container, on PostgreSQL."""

    server_name: str
    public_url: str  # where clients reach it through the proxy, e.g. https://matrix.example.be
    database_password: str
    database_host: str = "synapse-db"
    database_user: str = "synapse"
    database_name: str = "synapse"
    container_root: str = "/data"  # where the output directory is mounted in the container
    bot_localpart: str = BOT_LOCALPART  # README, step 4: the account whose token prevnet uses


def write_deployment_config(out: Path, options: DeploymentOptions) -> Path:
    """Write the closed configuration for a containerised Synapse on PostgreSQL into ``out``.

    The same closed settings and rules module as the embedded homeserver (no federation, no
    registration, no public directory); the module's file is copied to ``out/modules``, which
    docker-compose.yml puts on Synapse's ``PYTHONPATH``; the listener takes the proxy's forwarded
    headers; paths are the container's; login limits are Synapse's. The directory holds secrets:
    it is created owner-only and is not committed.
    """
    files = HomeserverFiles(out)
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    modules = out / "modules"
    modules.mkdir(mode=0o700, exist_ok=True)
    shutil.copyfile(RULES_FILE, modules / "prevnet_synapse_rules.py")
    hs_options = HomeserverOptions(options.server_name, 8008, bot_localpart=options.bot_localpart)
    config = closed_config(files, hs_options, DEPLOYED_RULES_MODULE)
    root = options.container_root.rstrip("/")
    config.update(
        {
            "pid_file": f"{root}/homeserver.pid",
            "public_baseurl": options.public_url.rstrip("/") + "/",
            "listeners": [
                {
                    "port": 8008,
                    "bind_addresses": ["0.0.0.0"],  # noqa: S104 - the compose network only
                    "type": "http",
                    "tls": False,
                    "x_forwarded": True,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {
                "name": "psycopg2",
                "args": {
                    "user": options.database_user,
                    "password": options.database_password,
                    "database": options.database_name,
                    "host": options.database_host,
                    "cp_min": 5,
                    "cp_max": 10,
                },
            },
            "log_config": f"{root}/log.yaml",
            "media_store_path": f"{root}/media_store",
            "signing_key_path": f"{root}/{options.server_name}.signing.key",
        }
    )
    _owner_only(files.config, yaml.safe_dump(config, sort_keys=False))
    console_log = (
        "version: 1\nformatters:\n  precise:\n"
        "    format: '%(asctime)s %(levelname)s %(name)s %(message)s'\n"
        "handlers:\n  console:\n    class: logging.StreamHandler\n    formatter: precise\n"
        "root:\n  level: INFO\n  handlers: [console]\ndisable_existing_loggers: false\n"
    )
    _owner_only(files.log_config, console_log)
    key = out / f"{options.server_name}.signing.key"
    if not key.exists():
        from signedjson.key import generate_signing_key, write_signing_keys

        with key.open("w", encoding="utf-8") as handle:
            write_signing_keys(handle, [generate_signing_key(secrets.token_hex(3))])
        key.chmod(0o600)
    return files.config
