"""The production stack's files: the compose file validates, secrets stay out of the repository,
and the generated homeserver configuration is closed and accepted by Synapse itself."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from prevnet.cli import cli
from prevnet.mail.bulletin_mail import ACK_PATH, UNSUBSCRIBE_PATH
from prevnet.mail.invitations import PASSWORD_PATH, RESET_PATH

ROOT = Path(__file__).resolve().parents[1]


def compose_command() -> list[str]:
    """``docker compose`` when the plugin is there, else Debian's ``docker-compose``."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run(
            [docker, "compose", "version"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    assert standalone, "no Compose client: scripts/test installs Debian's docker-compose"
    return [standalone]


def test_docker_compose_config_validates_with_the_example_env() -> None:
    result = subprocess.run(
        [*compose_command(), "--env-file", ".env.example", "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert {
        "proxy",
        "synapse",
        "synapse-db",
        "prevnet-db",
        "bots",
        "bridge",
        "discourse",
        "discourse-db",
        "discourse-redis",
    } <= set(services)
    synapse_volumes = services["synapse"]["volumes"]
    assert synapse_volumes  # the generated configuration is mounted
    # prevnet's rules module, copied beside the configuration, is importable in the container
    assert services["synapse"]["environment"]["PYTHONPATH"] == "/data/modules"
    targets = [v["target"] if isinstance(v, dict) else v.split(":")[1] for v in synapse_volumes]
    assert "/data" in targets
    assert services["bots"]["build"] and services["bridge"]["build"]
    assert services["bots"]["command"][0] == "up" and services["bridge"]["command"][0] == "bridge"
    published = {name for name, s in services.items() if s.get("ports")}
    assert published == {"proxy"}  # only the TLS proxy faces the network
    bridge_env = services["bridge"]["environment"]
    assert bridge_env["PREVNET_DATABASE_URL"].startswith("postgresql://")


def test_missing_secrets_stop_compose_with_a_message(tmp_path: Path) -> None:
    env = tmp_path / "partial.env"
    env.write_text("PREVNET_DOMAIN=prevnet.example.be\n")
    result = subprocess.run(
        [*compose_command(), "--env-file", str(env), "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "set it in .env" in result.stderr


def test_secrets_live_in_an_uncommitted_env_file_with_an_example() -> None:
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    example = (ROOT / ".env.example").read_text()
    defined = set(re.findall(r"^([A-Z_]+)=", example, re.M))
    used = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text()))
    used |= set(re.findall(r"\{\$([A-Z_]+)\}", (ROOT / "deploy" / "Caddyfile").read_text()))
    assert used <= defined, f"not in .env.example: {used - defined}"
    for line in example.splitlines():
        if re.match(r"^[A-Z_]*(PASSWORD|TOKEN|KEY|SECRET)=", line):
            assert "CHANGE-ME" in line, line


def generate_homeserver_config(out: Path) -> Result:
    return CliRunner().invoke(
        cli,
        [
            "homeserver-config",
            "--server-name",
            "prevnet.example.be",
            "--public-url",
            "https://matrix.prevnet.example.be",
            "--out",
            str(out),
        ],
        env={"SYNAPSE_DB_PASSWORD": "db-secret"},
    )


def test_the_generated_homeserver_configuration_is_closed_and_synapse_accepts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "synapse"
    result = generate_homeserver_config(out)
    assert result.exit_code == 0, result.output
    config = yaml.safe_load((out / "homeserver.yaml").read_text())
    assert config["federation_domain_whitelist"] == []
    assert config["enable_registration"] is False
    assert config["database"]["name"] == "psycopg2"
    assert config["database"]["args"]["password"] == "db-secret"
    [listener] = config["listeners"]
    assert listener["x_forwarded"] and listener["resources"] == [
        {"names": ["client"], "compress": False}
    ]
    assert (out / "homeserver.yaml").stat().st_mode & 0o077 == 0
    assert "rc_login" not in config  # production keeps Synapse's login limits
    [module] = config["modules"]
    assert module == {
        "module": "prevnet_synapse_rules.PrevnetRules",
        "config": {"bot": "@prevnet:prevnet.example.be", "bot_names": ["prevnet"]},
    }
    assert (out / "modules" / "prevnet_synapse_rules.py").is_file()
    # Synapse's own parser, with the container's /data mapped onto the output directory; it
    # imports the module from where the container finds it (PYTHONPATH=/data/modules)
    from synapse.config.homeserver import HomeServerConfig

    monkeypatch.syspath_prepend(str(out / "modules"))

    local = yaml.safe_load((out / "homeserver.yaml").read_text().replace("/data/", f"{out}/"))
    parsed = HomeServerConfig()
    parsed.parse_config_dict(local, config_dir_path=str(out), data_dir_path=str(out))
    assert parsed.server.server_name == "prevnet.example.be"
    assert parsed.federation.federation_domain_whitelist == {}
    [(rules, _)] = parsed.modules.loaded_modules
    assert rules.__module__ == "prevnet_synapse_rules"
    bot, member = "@prevnet:prevnet.example.be", "@member:prevnet.example.be"
    directory = parsed.roomdirectory
    assert directory.is_alias_creation_allowed(bot, "!r", "#zone-5326:prevnet.example.be")
    assert not directory.is_alias_creation_allowed(member, "!r", "#zone-5326:prevnet.example.be")
    assert not directory.is_publishing_room_allowed(member, "!r", [])
    # a second run keeps the secrets and the signing key
    key = (out / "prevnet.example.be.signing.key").read_text()
    assert generate_homeserver_config(out).exit_code == 0
    assert (out / "prevnet.example.be.signing.key").read_text() == key


def test_the_rules_module_runs_without_prevnet_installed() -> None:
    """The file copied into Synapse's container imports only Synapse and the standard library."""
    source = (ROOT / "prevnet" / "synapse_rules.py").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, "a relative import would not resolve beside Synapse"
            imported.add(node.module.split(".")[0])
    assert imported - sys.stdlib_module_names == {"synapse"}


def caddy_site(host: str) -> str:
    """The text of one site block of deploy/Caddyfile (braces balanced)."""
    text = (ROOT / "deploy" / "Caddyfile").read_text()
    start = text.index(host + " {")
    depth = 0
    for end in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0 and text[end] == "}" and end > start + len(host):
            return text[start : end + 1]
    raise AssertionError(f"the {host} block is not closed")


def test_the_proxy_routes_the_mailed_pages_to_prevnet_and_names_the_visitor() -> None:
    site = caddy_site("{$PREVNET_DOMAIN}")
    pages = re.search(r"@pages path ([^\n]+)", site)
    assert pages is not None, "no @pages matcher on the prevnet domain"
    prefixes = [p.rstrip("*") for p in pages.group(1).split()]
    for path in (PASSWORD_PATH + "/x", RESET_PATH, ACK_PATH + "/x", UNSUBSCRIBE_PATH + "/x"):
        assert any(path.startswith(prefix) for prefix in prefixes), path
    handler = site[site.index("handle @pages") :]
    assert re.match(r"handle @pages \{\s*reverse_proxy bots:8090 \{", handler)
    assert "header_up X-Forwarded-For {remote_host}" in handler.split("handle {")[0]
    assert re.search(r"handle \{\s*respond 404\s*\}", site)  # the rest stays closed

    result = subprocess.run(
        [*compose_command(), "--env-file", ".env.example", "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    bots = services["bots"]["environment"]
    assert bots["PREVNET_API_PORT"] == "8090"
    assert bots["PREVNET_PUBLIC_URL"] == "https://prevnet.example.be"
    proxy_ip = services["proxy"]["networks"]["default"]["ipv4_address"]
    assert bots["PREVNET_TRUSTED_PROXIES"] == proxy_ip
