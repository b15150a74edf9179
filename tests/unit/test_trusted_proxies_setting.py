"""The ``trusted_proxies`` setting: none by default, a TOML list or comma-separated env text,
and a wrong entry named in the error."""

from __future__ import annotations

from pathlib import Path

import pytest

from prevnet.settings import SettingsError, load_settings


def test_no_proxy_is_trusted_unless_told() -> None:
    assert load_settings(environ={}).trusted_proxies == ()


def test_the_environment_gives_a_comma_separated_list() -> None:
    env = {"PREVNET_TRUSTED_PROXIES": "127.0.0.1, 172.31.240.0/24"}
    assert load_settings(environ=env).trusted_proxies == ("127.0.0.1", "172.31.240.0/24")


def test_the_settings_file_gives_a_list(tmp_path: Path) -> None:
    path = tmp_path / "prevnet.toml"
    path.write_text('[prevnet]\ntrusted_proxies = ["::1", "10.0.0.0/8"]\n')
    assert load_settings(path, environ={}).trusted_proxies == ("::1", "10.0.0.0/8")


def test_a_wrong_entry_is_named() -> None:
    with pytest.raises(SettingsError, match="'caddy' is not an IP address"):
        load_settings(environ={"PREVNET_TRUSTED_PROXIES": "127.0.0.1,caddy"})
