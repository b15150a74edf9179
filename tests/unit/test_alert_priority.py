"""Alert priority in the text format: field names and words in FR/NL/DE/EN, the default, the
error for a word that does not exist, and what changes when a draft is folded into the digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from phenomena.alert import Alert, AlertStatus
from phenomena.alert_text import format_alert_text, merge_fields, parse_alert_text
from phenomena.errors import DocumentErrors, IllegalTransition
from phenomena.priority import Priority
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from tests.unit.test_alert_text import EXAMPLE

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def with_line(line: str) -> str:
    return EXAMPLE.replace("tlp: amber\n", f"tlp: amber\n{line}\n")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("priority: urgent", Priority.URGENT),
        ("priority: info", Priority.INFO),
        ("Priorité : urgente", Priority.URGENT),  # French
        ("priorite: normale", Priority.NORMAL),
        ("urgence: info", Priority.INFO),
        ("Prioriteit: dringend", Priority.URGENT),  # Dutch
        ("prioriteit: normaal", Priority.NORMAL),
        ("Priorität: dringend", Priority.URGENT),  # German
        ("Dringlichkeit: Information", Priority.INFO),
    ],
)
def test_priority_in_each_language(
    line: str, expected: Priority, territories: TerritoryRegistry
) -> None:
    content = parse_alert_text(with_line(line), territories)
    assert content.priority is expected
    assert content.tlp is Tlp.AMBER  # the other fields are read as before


def test_no_priority_line_is_normal(territories: TerritoryRegistry) -> None:
    assert parse_alert_text(EXAMPLE, territories).priority is Priority.NORMAL


def test_an_unknown_word_gets_the_three_with_its_line(territories: TerritoryRegistry) -> None:
    with pytest.raises(DocumentErrors) as caught:
        parse_alert_text(with_line("priorité: très haute"), territories)
    (error,) = caught.value.errors
    assert error.line == 6 and error.field == "priority"
    assert "urgent, normal or info" in error.message
    assert "dringend|normaal|info" in error.message  # and how to write them in each language


def test_the_canonical_text_keeps_the_priority(territories: TerritoryRegistry) -> None:
    urgent = parse_alert_text(with_line("prioriteit: dringend"), territories)
    text = format_alert_text(urgent, territories)
    assert "priority: urgent\n" in text
    assert parse_alert_text(text, territories) == urgent
    normal = parse_alert_text(EXAMPLE, territories)
    assert "priority" not in format_alert_text(normal, territories)  # older texts unchanged


def test_an_update_changes_the_priority(territories: TerritoryRegistry) -> None:
    content = parse_alert_text(EXAMPLE, territories)
    merged, errors = merge_fields(format_alert_text(content, territories), "priorité: info")
    assert not errors
    changed = parse_alert_text(merged, territories)
    assert changed.priority is Priority.INFO
    assert content.changed_fields(changed) == ("priority",)


def test_folding_makes_a_draft_info_and_nothing_else(territories: TerritoryRegistry) -> None:
    content = replace(parse_alert_text(EXAMPLE, territories), tlp=Tlp.RED, recipients=("zp-x",))
    draft = Alert(12, content, "@a:x", "zp", recipients=("zp-x",))
    draft.fold_into_digest(NOW)
    assert draft.content.priority is Priority.INFO
    assert draft.content.changed_fields(content) == ("priority",)  # TLP, area, text unchanged
    assert draft.recipients == ("zp-x",) and draft.status is AlertStatus.DRAFT
    published = Alert(13, content, "@a:x", "zp", AlertStatus.PUBLISHED)
    with pytest.raises(IllegalTransition, match="only a draft") as refused:
        published.fold_into_digest(NOW)
    assert "!alert update A-13 priority: info" in str(refused.value)
