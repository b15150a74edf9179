"""The ``[discourse]`` settings: a working bridge from a few lines, clear messages otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from prevnet.cli import cli
from prevnet.settings import SettingsError, load_settings

GOOD = """
[discourse]
url = "https://toolbox.example.be"
api_key = "0123456789abcdef"
webhook_secret = "a-long-shared-secret"
webhook_url = "https://prevnet.example.be"
listen_port = 9000
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prevnet.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_table_gives_the_bridge_its_settings(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD), environ={})
    assert settings.discourse is not None
    assert settings.discourse.url == "https://toolbox.example.be"
    assert settings.discourse.listen_port == 9000
    assert settings.discourse.requests_per_minute == 60
    assert settings.discourse.api_username == "system"


def test_the_environment_can_carry_the_secrets(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        environ={
            "PREVNET_DISCOURSE_URL": "http://discourse:3000",
            "PREVNET_DISCOURSE_API_KEY": "key-from-env",
            "PREVNET_DISCOURSE_WEBHOOK_SECRET": "secret-from-the-env-file",
        },
    )
    assert settings.discourse is not None
    assert settings.discourse.api_key == "key-from-env"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace('api_key = "0123456789abcdef"\n', ""), "needs api_key"),
        (GOOD.replace("a-long-shared-secret", "short"), "at least 12"),
        (GOOD + 'colour = "blue"\n', "unknown \\[discourse\\] setting"),
        (GOOD.replace("https://toolbox", "toolbox"), "write https://"),
        (GOOD.replace("listen_port = 9000", 'listen_port = "many"'), "invalid setting"),
    ],
)
def test_mistakes_are_named_with_the_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(write(tmp_path, text), environ={})


def test_the_bridge_without_discourse_settings_says_what_to_add(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "bridge"], env={})
    assert result.exit_code != 0
    assert "[discourse]" in result.output and "config/prevnet.example.toml" in result.output
