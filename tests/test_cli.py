"""The command line as a user drives it: territories, alert checks, partner imports, members."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from phenomena.alert import AlertContent
from phenomena.capsules.drafting import draft_capsules
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy
from phenomena.storage.capsules import SqlCapsules
from phenomena.storage.database import Database, sqlite_url
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from prevnet.cli import cli

Invoke = Callable[..., Result]
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "config" / "examples"


@pytest.fixture
def run(tmp_path: Path) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(
            cli, ["--data-dir", str(tmp_path / "data"), *args], input=input, catch_exceptions=False
        )

    return invoke


def test_help_lists_the_commands(run: Invoke) -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("territory", "alert", "partners", "members", "member", "db", "audit"):
        assert command in result.output


@pytest.mark.parametrize("query", ["Mons", "53053", "Bergen"])
def test_territory_show_mons(run: Invoke, query: str) -> None:
    result = run("territory", "show", query)
    assert result.exit_code == 0, result.output
    assert "NIS code:      53053" in result.output
    assert "fr: Mons, nl: Bergen" in result.output
    assert "Province du Hainaut" in result.output
    assert "police zone:   5324 Mons/Quévy" in result.output
    assert "53084  Quévy  (zone 5324)" in result.output


def test_territory_show_a_zone_and_an_unknown_name(run: Invoke) -> None:
    zone = run("territory", "show", "zone", "5324")
    assert zone.exit_code == 0 and "53053  Mons (Bergen)" in zone.output
    unknown = run("territory", "show", "Mosn")
    assert unknown.exit_code == 1
    assert "unknown municipality 'Mosn'. Did you mean: Mons (Bergen)" in unknown.stderr


def test_alert_check_prints_the_normalised_alert_and_routing(run: Invoke) -> None:
    result = run("alert", "check", str(EXAMPLES / "alert.txt"))
    assert result.exit_code == 0, result.output
    assert "type: residential-burglary" in result.output
    assert "area: Mons, Quévy" in result.output
    assert "Routing (TLP:AMBER)" in result.output
    assert "zone:5324  police zone Mons/Quévy" in result.output
    assert "police zone of Quévy (affected)" in result.output
    assert "Personal data: none found." in result.output


def test_alert_check_lists_every_error_with_its_line(run: Invoke) -> None:
    text = "type: burglary\narea: Atlantis\nfrom: 2026-13-01\ntlp: amber\nsummary: x\n"
    result = run("alert", "check", "-", input=text)
    assert result.exit_code == 1
    assert "2 error(s)" in result.stderr
    assert "line 2: area: unknown municipality 'Atlantis'" in result.stderr
    assert "line 3: from: '2026-13-01' is not a day of the calendar" in result.stderr


def test_alert_check_shows_personal_data(run: Invoke) -> None:
    text = (
        (EXAMPLES / "alert.txt")
        .read_text()
        .replace("summary: Wave", "summary: Call 0475 12 34 56 about the wave")
    )
    result = run("alert", "check", "-", input=text)
    assert result.exit_code == 0
    assert "summary: phone number '0475 12 34 56'" in result.output


def test_partners_import_list_reimport(run: Invoke) -> None:
    first = run("partners", "import", str(EXAMPLES / "partners.yaml"))
    assert first.exit_code == 0, first.output
    assert "organisations: 5 added" in first.output
    assert "members: 4 added" in first.output
    again = run("partners", "import", str(EXAMPLES / "partners.yaml"))
    assert "nothing changed." in again.output
    partners = run("partners", "list")
    assert "zp-mons-quevy" in partners.output and "police-zone" in partners.output
    assert "covers: zone:5324" in partners.output
    members = run("members", "list")
    assert "@analyste.mons:prevnet.localhost" in members.output
    assert "member,author,moderator" in members.output
    only = run("members", "list", "--org", "pcs-quevy")
    assert "@prevention.quevy" in only.output and "@analyste" not in only.output


def test_a_bad_partner_file_changes_nothing(run: Invoke, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (EXAMPLES / "partners.yaml")
        .read_text()
        .replace("kind: federal", "kind: galactic")
        .replace("[zone 5327]", "[zone 9999]")
    )
    result = run("partners", "import", str(bad))
    assert result.exit_code == 1
    assert "2 error(s); nothing was changed" in result.stderr
    assert "unknown organisation kind 'galactic'" in result.stderr
    assert "unknown police zone '9999'" in result.stderr
    assert "no partner organisations yet" in run("partners", "list").output


def test_member_commands_and_audit(run: Invoke) -> None:
    run("partners", "import", str(EXAMPLES / "partners.yaml"))
    who = "@prevention.quevy:prevnet.localhost"
    assert run("member", "role", who, "author").exit_code == 0
    assert run("member", "suspend", who, "--reason", "on leave").exit_code == 0
    assert who not in run("members", "list").output
    assert "[suspended]" in run("members", "list", "--all").output
    added = run("member", "add", "@new:prevnet.localhost", "--org", "pcs-mons", "--name", "New")
    assert added.exit_code == 0
    bad = run("member", "add", "not-an-id", "--org", "pcs-mons", "--name", "X")
    assert bad.exit_code == 1 and "is not a Matrix user ID" in bad.stderr
    ghost = run("member", "remove", "@ghost:prevnet.localhost")
    assert ghost.exit_code == 1 and "is not a member" in ghost.stderr
    audit = run("audit").output
    for action in ("partners.import", "member.roles", "member.suspend", "member.add"):
        assert action in audit


def test_db_upgrade_is_idempotent(run: Invoke) -> None:
    first = run("db", "upgrade")
    second = run("db", "upgrade")
    assert first.exit_code == second.exit_code == 0
    head = Database.head()
    assert f"database at revision {head} (newest: {head})" in second.output


def test_a_bad_settings_file_is_explained(tmp_path: Path) -> None:
    bad = tmp_path / "prevnet.toml"
    bad.write_text("[prevnet]\ncolour = 'blue'\n")
    result = CliRunner().invoke(cli, ["--config", str(bad), "territory", "show", "Mons"])
    assert result.exit_code == 1
    assert "unknown setting(s) colour" in result.stderr


def test_the_cli_on_postgresql(postgres_url: str, postgres_template: str) -> None:
    from sqlalchemy.engine import make_url

    from tests.conftest import _admin, run_in_own_loop

    async def create() -> None:
        conn = await _admin(postgres_url)
        try:
            await conn.execute("DROP DATABASE IF EXISTS prevnet_cli")
            await conn.execute("CREATE DATABASE prevnet_cli")
        finally:
            await conn.close()

    run_in_own_loop(create())
    url = make_url(postgres_url).set(database="prevnet_cli").render_as_string(False)
    url = url.replace("postgresql+asyncpg://", "postgresql://")  # what a user would write
    runner = CliRunner()
    imported = runner.invoke(
        cli, ["--database-url", url, "partners", "import", str(EXAMPLES / "partners.yaml")]
    )
    assert imported.exit_code == 0, imported.output
    listed = runner.invoke(cli, ["--database-url", url, "members", "list"])
    assert "@admin:prevnet.localhost" in listed.output


def test_backup_then_restore_into_a_new_data_directory(run: Invoke, tmp_path: Path) -> None:
    run("partners", "import", str(EXAMPLES / "partners.yaml"))
    saved = run("backup", str(tmp_path / "b.gz"))
    assert saved.exit_code == 0 and "rows from" in saved.output
    fresh = CliRunner()
    restored = fresh.invoke(
        cli, ["--data-dir", str(tmp_path / "new"), "restore", str(tmp_path / "b.gz")]
    )
    assert restored.exit_code == 0, restored.output
    listed = fresh.invoke(cli, ["--data-dir", str(tmp_path / "new"), "members", "list"])
    assert "@analyste.mons:prevnet.localhost" in listed.output
    again = fresh.invoke(
        cli, ["--data-dir", str(tmp_path / "new"), "restore", str(tmp_path / "b.gz")]
    )
    assert again.exit_code == 1 and "restore into a new, empty database" in again.stderr


async def _closed_long_ago_with_a_capsule(path: Path, territories: TerritoryRegistry) -> None:
    """A GREEN alert closed in January 2025 whose citizen capsule was published."""
    db = Database.connect(sqlite_url(path))
    try:
        at = datetime(2025, 1, 10, 9, tzinfo=UTC)
        author = "@analyste.mons:prevnet.localhost"
        content = AlertContent(
            PhenomenonType.RESIDENTIAL_BURGLARY,
            ("53053",),
            date(2025, 1, 2),
            None,
            Tlp.GREEN,
            "Burglaries in Hyon.",
            advice="Fermez portes et fenêtres à clé, même pour une courte absence.",
        )
        unit = SqlUnitOfWork(db.sessions)
        alert, _ = await use.create_alert(
            unit, content, author, territories, ModerationPolicy(), at
        )
        store = SqlCapsules(db)
        drafted = draft_capsules(
            alert, commune="Mons", prevention_url="https://mons.example", languages=["fr"]
        )
        record = await store.add(
            alert_id=alert.id,
            municipality="53053",
            organisation="pcs-mons",
            author="@prevention.mons:prevnet.localhost",
            capsules=drafted,
            findings={},
            now=at,
        )
        await store.approve(record.id, author, at, 2, "Europe/Brussels")
        await use.close_alert(SqlUnitOfWork(db.sessions), alert.id, author, "arrests", at)
    finally:
        await db.close()


def test_purge_dry_run_and_real(
    run: Invoke, tmp_path: Path, territories: TerritoryRegistry
) -> None:
    run("partners", "import", str(EXAMPLES / "partners.yaml"))
    empty = run("purge", "--dry-run")
    assert empty.exit_code == 0 and empty.output.startswith("would purge: 0 closed alert(s)")
    assert empty.output.rstrip().endswith("with those alerts, 0 citizen capsule(s)")

    database = tmp_path / "data" / "prevnet.sqlite3"
    asyncio.run(_closed_long_ago_with_a_capsule(database, territories))
    dry = run("purge", "--dry-run")
    assert dry.output.startswith("would purge: 1 closed alert(s)")
    assert dry.output.rstrip().endswith("with those alerts, 1 citizen capsule(s)")
    real = run("purge")
    assert real.output.startswith("purged: 1 closed alert(s)")
    assert real.output.rstrip().endswith("with those alerts, 1 citizen capsule(s)")
    again = run("purge")
    assert again.output.startswith("purged: 0 closed alert(s)")
    assert again.output.rstrip().endswith("with those alerts, 0 citizen capsule(s)")
