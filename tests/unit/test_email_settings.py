"""The ``[email]`` table and ``public_url``: parsed from TOML and environment, refused clearly."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from prevnet.cli.up import check_ports
from prevnet.running import PortInUse
from prevnet.settings import SettingsError, load_settings

BASE = {"PREVNET_SMTP_HOST": "relay.example.be", "PREVNET_EMAIL_FROM": "prevnet@example.be"}


def test_no_email_table_means_nothing_is_sent_and_says_what_to_add() -> None:
    settings = load_settings(environ={})
    assert settings.email is None
    with pytest.raises(SettingsError, match=r"invitations.*\[email\].*smtp_host.*from_address"):
        settings.require_email("invitations")


def test_environment_fills_the_email_table() -> None:
    env = {
        **BASE,
        "PREVNET_SMTP_PORT": "2525",
        "PREVNET_SMTP_STARTTLS": "false",
        "PREVNET_EMAIL_REPLY_DOMAIN": "reply.example.be",
        "PREVNET_EMAIL_LISTEN_PORT": "2626",
        "PREVNET_PUBLIC_URL": "https://prevnet.example.be/",
    }
    settings = load_settings(environ=env)
    assert settings.email is not None
    assert settings.email.smtp_host == "relay.example.be"
    assert settings.email.smtp_port == 2525
    assert settings.email.smtp_starttls is False
    assert settings.email.reply_domain == "reply.example.be"
    assert settings.email.listen_port == 2626
    assert settings.pages_url == "https://prevnet.example.be"


def test_toml_email_table(tmp_path: Path) -> None:
    path = tmp_path / "prevnet.toml"
    path.write_text(
        'public_url = "https://p.example.be"\n'
        "[email]\n"
        'smtp_host = "relay"\nsmtp_port = 465\nsmtp_starttls = true\n'
        'smtp_username = "u"\nsmtp_password = "hunter2hunter2"\n'
        'from_address = "prevnet <p@example.be>"\n',
        encoding="utf-8",
    )
    path.write_text("[prevnet]\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    settings = load_settings(path, environ={})
    assert settings.email is not None
    assert settings.email.smtp_username == "u"
    assert "hunter2" not in repr(settings)
    assert settings.pages_url == "https://p.example.be"


def test_pages_default_to_the_incident_api_address() -> None:
    assert load_settings(environ={"PREVNET_API_PORT": "8099"}).pages_url == (
        "http://127.0.0.1:8099"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"PREVNET_EMAIL_FROM": ""}, r"\[email\] needs from_address"),
        ({"PREVNET_EMAIL_FROM": "nobody"}, "not an e-mail address"),
        ({"PREVNET_SMTP_PORT": "0"}, "smtp_port cannot be 0"),
        ({"PREVNET_SMTP_PORT": "many"}, "invalid setting"),
        ({"PREVNET_SMTP_STARTTLS": "maybe"}, "write true or false"),
        ({"PREVNET_SMTP_USERNAME": "u"}, "go together"),
        ({"PREVNET_EMAIL_REPLY_DOMAIN": "a@b"}, "write a domain"),
        ({"PREVNET_EMAIL_SECRET": "short"}, "at least 32 characters"),
        ({"PREVNET_PUBLIC_URL": "prevnet.example.be"}, "public_url"),
    ],
)
def test_bad_email_settings_are_refused_with_the_fix(extra: dict[str, str], message: str) -> None:
    env = {k: v for k, v in {**BASE, **extra}.items() if v}
    with pytest.raises(SettingsError, match=message):
        load_settings(environ=env)


def test_unknown_email_setting_is_named(tmp_path: Path) -> None:
    path = tmp_path / "prevnet.toml"
    path.write_text('[email]\nsmtp_host = "r"\nfrom_address = "a@b.be"\nsmtp_tls = 1\n')
    with pytest.raises(SettingsError, match=r"unknown \[email\] setting.*smtp_tls"):
        load_settings(path, environ={})


def test_a_reply_port_in_use_stops_up_before_it_starts_and_says_what_to_change() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **BASE,
            "PREVNET_EMAIL_LISTEN_PORT": str(port),
            "PREVNET_API_PORT": "0",
            "PREVNET_HOMESERVER_URL": "https://matrix.example.be",  # not embedded: no port
            "PREVNET_HOMESERVER_TOKEN": "t",
        }
        with pytest.raises(PortInUse, match=rf"port {port} is in use.*PREVNET_EMAIL_LISTEN_PORT"):
            check_ports(load_settings(environ=env))
        off = {**env, "PREVNET_EMAIL_LISTEN_PORT": "0"}  # 0: no receiver, nothing to check
        check_ports(load_settings(environ=off))
