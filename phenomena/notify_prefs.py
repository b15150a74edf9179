"""What may call a member's attention: the lowest priority that notifies them, and quiet hours
in which only urgent alerts do. Escalation mentions and e-mails ask this before calling."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from phenomena.errors import InvalidValue
from phenomena.priority import Priority

LANGUAGES = ("fr", "nl", "de", "en")

_SPAN = re.compile(r"^\s*(\d{1,2})[:h.](\d{2})\s*[-–]\s*(\d{1,2})[:h.](\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    """A daily span of local time, e.g. 22:00-07:00 (it may run past midnight)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise InvalidValue(
                f"quiet hours {self} start and end at the same time: give a span such as "
                "22:00-07:00, or 'none' for no quiet hours"
            )

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, moment: time) -> bool:
        """Whether local time ``moment`` falls in the span (start included, end excluded)."""
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """Read '22:00-07:00' (also 22h00-7h00); 'none', 'off', 'geen', 'aucune' give None."""
        if text.strip().lower() in ("none", "off", "no", "aucune", "aucun", "geen", "keine"):
            return None
        match = _SPAN.match(text)
        if not match:
            raise InvalidValue(f"{text!r} is not a span of hours: write it as 22:00-07:00, or none")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise InvalidValue(f"{text!r} is not a time of day: hours 0-23, minutes 0-59")
        return cls(time(h1, m1), time(h2, m2))


@dataclass(frozen=True)
class NotifyPreference:
    """One member's choices; the defaults notify from ``normal`` at any hour."""

    member: str
    min_priority: Priority = Priority.NORMAL
    quiet: QuietHours | None = None
    language: str | None = None

    def __post_init__(self) -> None:
        if self.language is not None and self.language not in LANGUAGES:
            raise InvalidValue(
                f"unknown language {self.language!r}: write one of {', '.join(LANGUAGES)}"
            )

    def notifies(self, priority: Priority, local: datetime) -> bool:
        """Whether an alert of ``priority`` may mention or e-mail the member at local time
        ``local``: below their floor never; in quiet hours only if urgent."""
        if not priority.reaches(self.min_priority):
            return False
        if self.quiet is not None and self.quiet.contains(local.time()):
            return priority is Priority.URGENT
        return True
