"""The ``[capsules]`` table: how many citizen capsules a commune publishes in a week, and how
often waiting ones are looked at (they go out when the week turns)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


class CapsuleSettingsError(ValueError):
    """A ``[capsules]`` value that cannot be used; the message names the fix."""


@dataclass(frozen=True)
class CapsuleSettings:
    """The weekly cap per commune; ``check_seconds`` may be a fraction (tests drive a clock)."""

    capsules_per_week: int = 2
    check_seconds: float = 300.0


def parse_capsules(table: dict[str, Any]) -> CapsuleSettings:
    """The ``[capsules]`` table, checked: an unknown name or a value out of range is named."""
    fields = {f.name for f in dataclasses.fields(CapsuleSettings)}
    unknown = set(table) - fields
    if unknown:
        raise CapsuleSettingsError(
            f"unknown [capsules] setting(s) {', '.join(sorted(unknown))}: the settings are "
            + ", ".join(sorted(fields))
        )
    kwargs: dict[str, Any] = {}
    if "capsules_per_week" in table:
        raw = table["capsules_per_week"]
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 50:
            raise CapsuleSettingsError(
                f"[capsules] capsules_per_week {raw!r}: give a whole number from 1 to 50"
            )
        kwargs["capsules_per_week"] = raw
    if "check_seconds" in table:
        raw = table["check_seconds"]
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0.1 <= raw <= 3600:
            raise CapsuleSettingsError(f"[capsules] check_seconds {raw!r}: give 0.1 to 3600")
        kwargs["check_seconds"] = float(raw)
    return CapsuleSettings(**kwargs)
