"""``prevnet member invite|reset`` and ``members list`` as an administrator types them."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from prevnet.cli import cli
from tests.mail.smtp_relay import Relay, relay

__all__ = ["relay"]
ROOT = Path(__file__).resolve().parents[1]
PARTNERS = ROOT / "config" / "examples" / "partners.yaml"


def invoke(tmp_path: Path, env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path / "data"), *args], env=env, catch_exceptions=False
    )


def smtp_env(relay: Relay) -> dict[str, str]:
    return {
        "PREVNET_SMTP_HOST": "127.0.0.1",
        "PREVNET_SMTP_PORT": str(relay.port),
        "PREVNET_SMTP_STARTTLS": "false",
        "PREVNET_EMAIL_FROM": "prevnet@prevnet.example",
        "PREVNET_PUBLIC_URL": "https://prevnet.example.be",
    }


def add_jean(tmp_path: Path, env: dict[str, str]) -> Result:
    return invoke(
        tmp_path,
        env,
        "member",
        "add",
        "@jean:prevnet.localhost",
        "--org",
        "pcs-mons",
        "--name",
        "Jean Dupont",
        "--email",
        "jean@mons.example",
    )


def test_without_email_settings_nothing_is_sent_and_the_fix_is_named(tmp_path: Path) -> None:
    assert invoke(tmp_path, {}, "partners", "import", str(PARTNERS)).exit_code == 0
    added = add_jean(tmp_path, {})
    assert added.exit_code == 0
    assert "no invitation e-mail for jean@mons.example: e-mail is not set up" in added.output
    invited = invoke(tmp_path, {}, "member", "invite", "@jean:prevnet.localhost")
    assert invited.exit_code == 1
    assert "[email]" in invited.output and "PREVNET_SMTP_HOST" in invited.output


def test_invite_and_reset_send_a_link_through_the_relay(tmp_path: Path, relay: Relay) -> None:
    env = smtp_env(relay)
    assert invoke(tmp_path, env, "partners", "import", str(PARTNERS)).exit_code == 0
    added = add_jean(tmp_path, env)
    assert "`prevnet up` e-mails an invitation to jean@mons.example" in added.output
    assert relay.inbox.received == []  # the running network sends it, once the account exists
    invited = invoke(tmp_path, env, "member", "invite", "@jean:prevnet.localhost")
    assert invited.exit_code == 0, invited.output
    assert "an invitation for @jean:prevnet.localhost went to jean@mons.example" in invited.output
    again = add_jean(tmp_path, env)
    assert "a member already: `prevnet member invite @jean:prevnet.localhost`" in again.output
    reset = invoke(tmp_path, env, "member", "reset", "@jean:prevnet.localhost")
    assert reset.exit_code == 0, reset.output
    first, second = relay.inbox.to("jean@mons.example")
    assert "invitation" in first["Subject"] and "nouveau mot de passe" in second["Subject"]
    body = second.get_body(preferencelist=("plain",))
    assert body is not None and "https://prevnet.example.be/account/password/" in body.get_content()


def test_invite_names_what_is_wrong(tmp_path: Path, relay: Relay) -> None:
    env = smtp_env(relay)
    assert invoke(tmp_path, env, "partners", "import", str(PARTNERS)).exit_code == 0
    unknown = invoke(tmp_path, env, "member", "invite", "@nobody:prevnet.localhost")
    assert unknown.exit_code == 1 and "no member @nobody" in unknown.output
    add_jean(tmp_path, env)
    down = {**env, "PREVNET_SMTP_PORT": "1"}
    failed = invoke(tmp_path, down, "member", "invite", "@jean:prevnet.localhost")
    assert failed.exit_code == 1 and "could not reach the SMTP relay" in failed.output


def test_members_list_says_when_login_status_needs_the_network(tmp_path: Path) -> None:
    assert invoke(tmp_path, {}, "partners", "import", str(PARTNERS)).exit_code == 0
    listed = invoke(tmp_path, {}, "members", "list")
    assert listed.exit_code == 0
    assert "who has never logged in shows while `prevnet up` runs" in listed.output


def test_a_malformed_address_is_refused(tmp_path: Path) -> None:
    assert invoke(tmp_path, {}, "partners", "import", str(PARTNERS)).exit_code == 0
    bad = invoke(
        tmp_path,
        {},
        "member",
        "add",
        "@x:prevnet.localhost",
        "--org",
        "pcs-mons",
        "--name",
        "X",
        "--email",
        "x at mons",
    )
    assert bad.exit_code == 1 and "is not an e-mail address" in bad.output
    listed = invoke(tmp_path, {}, "members", "list")
    assert "@x:prevnet.localhost" not in listed.output
