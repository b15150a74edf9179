"""``!capsule`` answers in the room's language (SQLite and PostgreSQL): a French zone room gets
French drafts, refusals and state lines, a Dutch one Dutch, a direct chat the language the
member chose; and every capsule message in the code (the zone room's post of a published one
too) has its French, Dutch and German wording in the bots' catalogues (a missing one would fall
back to English unseen)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bots.capsule_words import CONTEXT
from bots.i18n import LANGUAGES, LOCALE_DIR
from phenomena.capsules.capsule import Part
from phenomena.capsules.screen import Concern
from phenomena.capsules.service import CapsuleState
from phenomena.pii import PersonalDataKind
from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from tests.capsules.test_capsule_commands import capsule_ref, capsules, published, text
from tests.support.alert_desk import Desk

ROOT = Path(__file__).resolve().parents[2]
SAYING = {"says": 0, "said": 1, "Said": 0, "_finding": 5}
"""The calls that make a capsule message, and which argument is its English template."""


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


async def test_a_french_room_gets_french_capsule_answers(desk: Desk) -> None:
    capsules(desk)
    ref = await published(desk)
    drafted = await desk.say("prevention.mons", f"!capsule {ref}", room="zone:5324")
    assert text(drafted).startswith(f"Brouillon C-1 de {ref}. C-1 est un brouillon")
    assert "!capsule approve C-1" in text(drafted)
    assert "Contrôle" in text(drafted)
    assert "tip: Fermez portes et fenêtres" in text(drafted)  # the capsule's own words stay

    changed = await desk.say(
        "prevention.mons", "!capsule edit C-1 short: Une vague alarmante", room="zone:5324"
    )
    assert text(changed).startswith("Modifiée. C-1 est un brouillon")
    assert "mot anxiogène «vague» (message court, caractères" in text(changed)

    own = await desk.say("prevention.mons", "!capsule approve C-1", room="zone:5324")
    assert text(own).startswith("vous avez rédigé C-1 : une deuxième personne l'approuve")
    too_long = await desk.say("prevention.mons", "!capsule edit C-1 title: " + "x" * 61)
    assert "title is 61 characters" in text(too_long)  # a direct chat without a choice: English
    approved = await desk.say("analyste.mons", "!capsule approve C-1", room="zone:5324")
    assert text(approved).startswith("Approuvée. C-1 est publiée (2026-W47)")

    amber = await published(desk, "amber")
    refused = await desk.say("prevention.mons", f"!capsule {amber}", room="zone:5324")
    assert text(refused).startswith(f"{amber} est TLP:AMBER : les capsules vont aux habitants")
    letter = await desk.say("prevention.mons", "!capsule letter C-1", room="zone:5324")
    assert f"{ref} n'a pas été proposée par la détection" in text(letter)


async def test_a_dutch_room_and_a_chosen_language_in_a_direct_chat(desk: Desk) -> None:
    found = capsules(desk)
    ref = await published(desk)
    c = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    unseen = await desk.say("preventie.oostende", f"!capsule show {c}", room="zone:5449")
    assert text(unseen) == f"er is geen capsule {c} die u kunt zien"

    async def german(member: str) -> str | None:
        return "de" if member.startswith("@analyste.mons") else None

    found.language_of = german
    shown = await desk.say("analyste.mons", f"!capsule show {c}")
    assert text(shown).startswith(f"{c} ist ein Entwurf: eine zweite Person")
    assert "Prüfung" in text(shown)


def _templates() -> set[str]:
    """Every English template the capsule code says, found in its source."""
    sources = [
        *(ROOT / "phenomena" / "capsules").glob("*.py"),
        ROOT / "phenomena" / "storage" / "capsules.py",
        *(ROOT / "bots").glob("capsule_*.py"),
        *(ROOT / "prevnet").glob("capsule_*.py"),
    ]
    found: set[str] = set()
    for source in sources:
        tree = ast.parse(source.read_text())
        constants = {
            node.targets[0].id: node.value.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            at = SAYING.get(str(name))
            if at is None or len(node.args) <= at:
                continue
            argument = node.args[at]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.add(argument.value)
            elif isinstance(argument, ast.Name) and argument.id in constants:
                found.add(constants[argument.id])
    found |= {p.label for p in Part} | {s.value for s in CapsuleState}
    found |= {c.value for c in Concern} | {k.value for k in PersonalDataKind}
    return found


def test_every_capsule_message_is_in_every_catalogue() -> None:
    wanted = _templates()
    assert "Draft {ref} of {alert}. {state}" in wanted and len(wanted) > 60
    assert "{title} (A4 poster)" in wanted  # the zone room's post (bots/capsule_post.py)
    assert any(m.startswith("Citizen capsule {ref} for {commune}") for m in wanted)
    for language in LANGUAGES:
        with (LOCALE_DIR / language / "LC_MESSAGES" / "prevnet.po").open("rb") as handle:
            have = {str(m.id) for m in read_po(handle) if m.context == CONTEXT and m.string}
        assert wanted <= have, f"{language} lacks {sorted(wanted - have)}"
