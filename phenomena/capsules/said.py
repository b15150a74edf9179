"""Messages kept as their English template and values, so the chat can say them in the room's
language from the gettext catalogues (``bots/locale``), and everything else reads them as text.

An error made with :func:`said` is an ordinary ``DomainError`` whose text is the English one;
:func:`said_of` gives back the template and values a translator needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

E = TypeVar("E", bound=Exception)


@dataclass(frozen=True)
class Said:
    """A message: its English ``template`` (the catalogue's msgid) and the values it names; a
    value that is itself a ``Said`` is translated too (a part's name, a state)."""

    template: str
    values: Mapping[str, str | int | Said] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template.format(**{k: str(v) for k, v in self.values.items()})


def says(template: str, **values: str | int | Said) -> Said:
    """``Said(template, values)``, written like a call to ``str.format``."""
    return Said(template, values)


def said(kind: type[E], template: str, **values: str | int | Said) -> E:
    """An error of ``kind`` saying ``template`` with ``values`` (its text in English)."""
    message = Said(template, values)
    error = kind(str(message))
    error.__dict__["said"] = message
    return error


def with_said(error: E, message: Said) -> E:
    """``error``, translatable as ``message`` (for errors that build their own text)."""
    error.__dict__["said"] = message
    return error


def said_of(error: BaseException) -> Said | None:
    """The message an error was made with by :func:`said`, or None for any other error."""
    found = error.__dict__.get("said")
    return found if isinstance(found, Said) else None
