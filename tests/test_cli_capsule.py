"""``prevnet capsule``: drafting, showing, editing and approving a citizen capsule from the
command line, under chat's rules (four eyes; the member named with ``--as``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from phenomena.alert import AlertContent
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy
from phenomena.storage.database import Database, sqlite_url
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from prevnet.cli import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "config" / "examples"
CLAIRE = "@analyste.mons:prevnet.localhost"  # zp-mons-quevy, author and moderator
JULIEN = "@prevention.mons:prevnet.localhost"  # pcs-mons, author


async def publish(path: Path, territories: TerritoryRegistry, tlp: Tlp) -> str:
    db = Database.connect(sqlite_url(path))
    try:
        content = AlertContent(
            PhenomenonType.RESIDENTIAL_BURGLARY,
            ("53053",),
            date.today(),
            None,
            tlp,
            "Burglaries in Hyon.",
            advice="Fermez portes et fenêtres à clé, même pour une courte absence.",
        )
        alert, _ = await use.create_alert(
            SqlUnitOfWork(db.sessions),
            content,
            CLAIRE,
            territories,
            ModerationPolicy(),
            datetime.now(UTC),
        )
        return alert.ref
    finally:
        await db.close()


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, ["--data-dir", str(tmp_path / "data"), *args])

    assert invoke("partners", "import", str(EXAMPLES / "partners.yaml")).exit_code == 0
    return invoke


def test_draft_edit_and_approve_from_the_command_line(
    run: Callable[..., Result], tmp_path: Path, territories: TerritoryRegistry
) -> None:
    ref = asyncio.run(publish(tmp_path / "data" / "prevnet.sqlite3", territories, Tlp.GREEN))
    drafted = run("capsule", ref, "--as", JULIEN)
    assert drafted.exit_code == 0, drafted.output
    assert drafted.output.startswith(f"Draft C-1 of {ref}.")
    assert "https://www.mons.be/vivre-a-mons/prevention" in drafted.output
    assert "Screen" in drafted.output

    changed = run("capsule", "edit", "C-1", "title:", "Un", "bon", "réflexe", "--as", JULIEN)
    assert changed.exit_code == 0, changed.output
    assert "title: Un bon réflexe" in changed.output

    own = run("capsule", "approve", "C-1", "--as", JULIEN)
    assert own.exit_code == 1 and "you wrote C-1" in own.output
    approved = run("capsule", "approve", "C-1", "--as", CLAIRE)
    assert approved.exit_code == 0 and "C-1 is published" in approved.output
    assert "is published" in run("capsule", "show", "C-1", "--as", JULIEN).output


def test_amber_is_refused_and_a_stranger_is_named(
    run: Callable[..., Result], tmp_path: Path, territories: TerritoryRegistry
) -> None:
    ref = asyncio.run(publish(tmp_path / "data" / "prevnet.sqlite3", territories, Tlp.AMBER))
    refused = run("capsule", ref, "--as", JULIEN)
    assert refused.exit_code == 1 and "TLP:AMBER" in refused.output
    nobody = run("capsule", ref, "--as", "@nobody:prevnet.localhost")
    assert nobody.exit_code == 1 and "not an active member" in nobody.output
