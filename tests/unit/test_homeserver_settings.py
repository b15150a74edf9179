"""An existing homeserver needs its bot token; the settings say so before anything starts."""

from __future__ import annotations

import pytest

from prevnet.settings import Settings, SettingsError, load_settings


def test_an_existing_homeserver_gives_its_url_and_the_bot_token() -> None:
    settings = Settings(homeserver_url="https://matrix.example/", homeserver_token="syt_bot")
    assert settings.existing_homeserver() == ("https://matrix.example", "syt_bot")


def test_a_homeserver_url_without_a_token_names_the_missing_setting() -> None:
    with pytest.raises(SettingsError, match="PREVNET_HOMESERVER_TOKEN"):
        Settings(homeserver_url="https://matrix.example").existing_homeserver()
    with pytest.raises(SettingsError, match="homeserver_token is not"):
        load_settings(environ={"PREVNET_HOMESERVER_URL": "https://matrix.example"})


def test_the_embedded_homeserver_has_no_existing_one_to_give() -> None:
    with pytest.raises(SettingsError, match="runs its own homeserver"):
        Settings().existing_homeserver()
