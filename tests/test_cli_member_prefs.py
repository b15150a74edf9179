"""``prevnet member prefs``: an administrator shows or sets a member's e-mail choice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from prevnet.cli import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "config" / "examples"
CLAIRE = "@analyste.mons:prevnet.localhost"
JULIEN = "@prevention.mons:prevnet.localhost"


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, ["--data-dir", str(tmp_path / "data"), *args])

    assert invoke("partners", "import", str(EXAMPLES / "partners.yaml")).exit_code == 0
    return invoke


def test_the_choice_is_none_until_set_and_then_kept(run: Callable[..., Result]) -> None:
    assert run("member", "prefs", CLAIRE).output.strip() == f"{CLAIRE}: email none"
    set_ = run("member", "prefs", CLAIRE, "all")
    assert set_.exit_code == 0
    assert set_.output.startswith(f"{CLAIRE}: email all")
    assert "not set up" in set_.output  # no [email] in these settings: nothing would be sent
    assert run("member", "prefs", CLAIRE).output.startswith(f"{CLAIRE}: email all")


def test_a_member_without_an_address_is_told_what_to_add(run: Callable[..., Result]) -> None:
    result = run("member", "prefs", JULIEN, "digest")
    assert "no e-mail address yet" in result.output and "--email" in result.output


def test_an_unknown_member_or_choice_is_refused_clearly(run: Callable[..., Result]) -> None:
    unknown = run("member", "prefs", "@nobody:prevnet.localhost", "all")
    assert unknown.exit_code == 1 and "is not a member" in unknown.output
    wrong = run("member", "prefs", CLAIRE, "sometimes")
    assert wrong.exit_code == 2 and "all" in wrong.output and "digest" in wrong.output
    assert run("member", "prefs", CLAIRE).output.strip() == f"{CLAIRE}: email none"
