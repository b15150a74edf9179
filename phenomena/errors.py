"""Errors a user can cause in the domain core, each with a message that says what to do.

The tree::

    PrevnetError
    └── DomainError
        ├── UnknownTerritory          a municipality or zone name that matches nothing
        ├── UnknownPhenomenonType     a phenomenon type outside the taxonomy
        ├── InvalidValue              a field whose value cannot be understood
        ├── IllegalTransition         an alert lifecycle step that is not allowed from its state
        ├── PermissionDenied          a member without the role an action needs
        ├── NotFound                  an alert, member or organisation that does not exist
        ├── AlreadyDone               a chat command delivered twice (it ran the first time)
        └── DocumentErrors            a whole document (alert text, partner file) with line errors
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class PrevnetError(Exception):
    """Root of every error prevnet raises on purpose."""


class DomainError(PrevnetError):
    """A rule of the domain was broken by the input; the message tells the user what to do."""


class UnknownTerritory(DomainError):
    """A territory name or code that matches nothing, with the closest known names."""

    def __init__(self, query: str, suggestions: Sequence[str] = ()) -> None:
        self.query = query
        self.suggestions = tuple(suggestions)
        hint = (
            f" Did you mean: {', '.join(self.suggestions)}?"
            if self.suggestions
            else " Give a Belgian municipality name (French, Dutch or German) or its NIS code."
        )
        super().__init__(f"unknown municipality {query!r}.{hint}")


class UnknownPhenomenonType(DomainError):
    """A phenomenon type outside the taxonomy."""


class InvalidValue(DomainError):
    """A value that cannot be understood; the message says what form is expected."""


class IllegalTransition(DomainError):
    """An alert lifecycle step not allowed from the alert's current state."""


class PermissionDenied(DomainError):
    """The acting member lacks the role the action needs."""


class NotFound(DomainError):
    """The alert, member or organisation named does not exist."""


class AlreadyDone(DomainError):
    """The command was already carried out (the same chat event seen again after a restart)."""


@dataclass(frozen=True)
class LineError:
    """One problem in a text document, located by its 1-based line (None: the whole document)."""

    line: int | None
    message: str
    field: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "document"
        return f"{where}: {self.message}"


class DocumentErrors(DomainError):
    """Every problem found in a document; nothing in it was applied."""

    def __init__(self, errors: Sequence[LineError], what: str = "document") -> None:
        self.errors = tuple(errors)
        lines = "\n".join(f"  {e}" for e in self.errors)
        super().__init__(f"{what} has {len(self.errors)} error(s); nothing was changed:\n{lines}")
