"""``prevnet outbox list|retry|drop`` as an operator uses them on a real data directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from phenomena.events import MemberAdded
from phenomena.storage.database import Database, sqlite_url
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import utc_now
from prevnet.cli import cli
from tests.conftest import run_in_own_loop
from tests.test_cli import EXAMPLES, Invoke

REASON = "matrix-membership: MatrixAdminError M_UNKNOWN (HTTP 400)"


@pytest.fixture
def run(tmp_path: Path) -> Invoke:
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), *args])

    return invoke


def kill_members(data: Path, failing_too: bool = False) -> list[int]:
    """Make the MemberAdded events of the imported file dead letters (as a dispatcher would)."""

    async def go() -> list[int]:
        db = Database.connect(sqlite_url(data / "prevnet.sqlite3"))
        try:
            outbox = Outbox(db, "test")
            members = [m for m in await outbox.claim() if isinstance(m.event, MemberAdded)]
            for message in members[:2]:
                await outbox.mark_dead(message.id, REASON)
            if failing_too:
                await outbox.mark_failed(
                    members[2].id, "matrix-membership: TimeoutError", utc_now()
                )
            return [m.id for m in members[:2]]
        finally:
            await db.close()

    return run_in_own_loop(go())


def test_list_retry_drop(run: Invoke, tmp_path: Path) -> None:
    assert run("partners", "import", str(EXAMPLES / "partners.yaml")).exit_code == 0
    empty = run("outbox", "list")
    assert empty.exit_code == 0
    assert "no dead letters and no event failing" in empty.output
    first, second = kill_members(tmp_path / "data", failing_too=True)

    listed = run("outbox", "list")
    assert listed.exit_code == 0, listed.output
    assert "2 dead letter(s), 1 event(s) still being retried:" in listed.output
    assert (
        f"#{first:<6} MemberAdded (@analyste.mons:prevnet.localhost) for bots: "
        "1 attempt(s), dead since"
    ) in listed.output
    assert REASON in listed.output and "matrix-membership: TimeoutError" in listed.output

    retried = run("outbox", "retry", str(first), "--actor", "cli:ops")
    assert retried.exit_code == 0, retried.output
    assert f"#{first} MemberAdded for bots: pending again" in retried.output
    after = run("outbox", "list").output
    assert f"#{first:<6}" not in after and f"#{second:<6}" in after

    dropped = run("outbox", "drop", str(second), "--actor", "cli:ops")
    assert dropped.exit_code == 0, dropped.output
    assert "is dropped: it will not be delivered" in dropped.output
    assert f"#{second:<6}" not in run("outbox", "list").output
    audit = run("audit", "--subject", f"outbox:{second}").output
    assert "outbox.drop" in audit and "cli:ops" in audit

    again = run("outbox", "drop", str(second))
    assert again.exit_code == 1 and "was dropped already" in again.stderr
    assert "no dead letters to retry" in run("outbox", "retry", "--all").output


def test_unknown_ids_and_missing_arguments_are_explained(run: Invoke) -> None:
    unknown = run("outbox", "drop", "4242")
    assert unknown.exit_code == 1
    assert "there is no outbox event 4242; `prevnet outbox list` shows" in unknown.stderr
    unknown_retry = run("outbox", "retry", "4242")
    assert unknown_retry.exit_code == 1 and "no outbox event 4242" in unknown_retry.stderr
    neither = run("outbox", "retry")
    assert neither.exit_code == 2 and "give the ID(s) to retry" in neither.stderr
    not_a_number = run("outbox", "drop", "A-12")
    assert not_a_number.exit_code == 2 and "'A-12' is not a valid integer" in not_a_number.stderr
