"""How loudly an alert is delivered: urgent rings phones, normal is a bulletin, info waits for
the digest. Members' notification floors and the weekly volume budget read it too."""

from __future__ import annotations

import enum

from phenomena.errors import InvalidValue
from phenomena.text import fold


class Priority(enum.Enum):
    """An alert's priority, from the loudest to the quietest."""

    URGENT = "urgent"
    NORMAL = "normal"
    INFO = "info"

    @property
    def rank(self) -> int:
        """2 for urgent, 1 for normal, 0 for info: a member notified from ``normal`` gets ≥ 1."""
        return _RANKS[self]

    def reaches(self, floor: Priority) -> bool:
        """Whether an alert of this priority notifies a member whose floor is ``floor``."""
        return self.rank >= floor.rank

    @property
    def posted_as_bulletin(self) -> bool:
        """Info alerts are not posted: they go into the next digest and ``!alert list``."""
        return self is not Priority.INFO

    @classmethod
    def parse(cls, text: str) -> Priority:
        """Read a priority as people write it in FR, NL, DE or EN ('urgent', 'dringend', ...)."""
        key = fold(text)
        for priority, words in _WORDS.items():
            if key in words:
                return priority
        raise InvalidValue(
            f"unknown priority {text!r}: write urgent, normal or info "
            "(FR urgent|normal|info, NL dringend|normaal|info, DE dringend|normal|info)"
        )


_RANKS = {Priority.URGENT: 2, Priority.NORMAL: 1, Priority.INFO: 0}

_WORDS: dict[Priority, frozenset[str]] = {
    Priority.URGENT: frozenset({"urgent", "urgente", "dringend", "spoed", "eilig", "dringlich"}),
    Priority.NORMAL: frozenset({"normal", "normale", "normaal", "gewoon", "standard"}),
    Priority.INFO: frozenset(
        {"info", "information", "informatie", "informationen", "information only", "ter info"}
    ),
}
