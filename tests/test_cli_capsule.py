"""``prevnet capsule``: drafting, showing, editing and approving a citizen capsule from the
command line, under chat's rules (four eyes; the member named with ``--as``); the cocoon letter
of a detected alert written to a file; a coordinator's unsubscription undone."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pypdf import PdfReader

from phenomena.alert import AlertContent, parse_ref
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy
from phenomena.storage.capsules import SqlCapsules
from phenomena.storage.database import Database, sqlite_url
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from prevnet.cli import cli
from tests.capsules.alerts import detected

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


async def _proposed_by_detection(path: Path, ref: str) -> None:
    db = Database.connect(sqlite_url(path))
    try:
        async with SqlUnitOfWork(db.sessions) as unit:
            await unit.detections.add(detected(parse_ref(ref)))
            await unit.commit()
    finally:
        await db.close()


def test_the_cocoon_letter_is_written_for_a_detected_alert_only(
    run: Callable[..., Result], tmp_path: Path, territories: TerritoryRegistry
) -> None:
    data = tmp_path / "data" / "prevnet.sqlite3"
    ref = asyncio.run(publish(data, territories, Tlp.GREEN))
    assert run("capsule", ref, "--as", JULIEN).exit_code == 0
    assert run("capsule", "approve", "C-1", "--as", CLAIRE).exit_code == 0
    out = tmp_path / "letters"
    refused = run("capsule", "letter", "C-1", "--as", JULIEN, "--out", str(out))
    assert refused.exit_code == 1 and f"{ref} was not proposed by detection" in refused.output
    assert not out.exists()

    asyncio.run(_proposed_by_detection(data, ref))
    streets = "rue de Nimy, rue des Gaillers"
    written = run(
        "capsule", "letter", "C-1", "--as", JULIEN, "--streets", streets, "--out", str(out)
    )
    assert written.exit_code == 0, written.output
    letter = out / "capsule-1-fr-letter.pdf"
    assert str(letter) in written.output
    [page] = PdfReader(letter).pages
    assert "rue de Nimy, rue des Gaillers" in " ".join(page.extract_text().split())


def test_a_coordinator_who_unsubscribed_is_mailed_again_on_request(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    async def opt_out() -> None:
        db = Database.connect(sqlite_url(tmp_path / "data" / "prevnet.sqlite3"))
        try:
            await SqlCapsules(db).opt_out("BIN.Hyon@example.org", datetime.now(UTC))
        finally:
            await db.close()

    asyncio.run(opt_out())
    again = run("capsule", "resubscribe", "bin.hyon@example.org")
    assert again.exit_code == 0 and "gets capsule mails again" in again.output
    twice = run("capsule", "resubscribe", "bin.hyon@example.org")
    assert twice.exit_code == 0 and "had not unsubscribed" in twice.output
