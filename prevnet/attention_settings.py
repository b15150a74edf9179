"""The ``[attention]`` table: how long an alert may go unacknowledged or unmoderated before
someone is called, and how many normal bulletins a room takes in a week."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


class AttentionSettingsError(ValueError):
    """An ``[attention]`` value that cannot be used; the message names the fix (the settings
    loader reports it as a SettingsError)."""


@dataclass(frozen=True)
class AttentionSettings:
    """Escalation timers and the volume budget. Minutes may be fractions: tests use seconds."""

    ack_minutes_urgent: float = 30.0  # no routed organisation acknowledged: call the on-duty
    ack_minutes_normal: float = 1440.0
    moderation_minutes: float = 60.0  # still pending: the province's, then federal, moderators
    budget_per_week: int = 5  # normal bulletins a room takes in a week before the author is asked
    check_seconds: float = 30.0  # how often due escalations and duty handovers are looked for
    report_day: int = 1  # the monthly report goes to #admin on this day of the month


def parse_attention(table: dict[str, Any]) -> AttentionSettings:
    """The ``[attention]`` table, checked: an unknown name or a value out of range is named."""
    fields = {f.name for f in dataclasses.fields(AttentionSettings)}
    unknown = set(table) - fields
    if unknown:
        raise AttentionSettingsError(
            f"unknown [attention] setting(s) {', '.join(sorted(unknown))}: the settings are "
            + ", ".join(sorted(fields))
        )
    kwargs: dict[str, Any] = {}
    for name in ("ack_minutes_urgent", "ack_minutes_normal", "moderation_minutes"):
        if name in table:
            value = _number(name, table[name])
            if not 0 < value <= 60 * 24 * 30:
                raise AttentionSettingsError(
                    f"[attention] {name} {value}: give minutes, more than 0 and at most 43200"
                )
            kwargs[name] = value
    if "check_seconds" in table:
        value = _number("check_seconds", table["check_seconds"])
        if not 0.1 <= value <= 3600:
            raise AttentionSettingsError(
                f"[attention] check_seconds {value}: give 0.1 to 3600 seconds"
            )
        kwargs["check_seconds"] = value
    for name, low, high in (("budget_per_week", 1, 1000), ("report_day", 1, 28)):
        if name in table:
            raw = table[name]
            if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
                raise AttentionSettingsError(
                    f"[attention] {name} {raw!r}: give a whole number from {low} to {high}"
                )
            kwargs[name] = raw
    return AttentionSettings(**kwargs)


def _number(name: str, raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise AttentionSettingsError(f"[attention] {name} {raw!r}: give a number")
    return float(raw)
