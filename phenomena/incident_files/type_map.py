"""The file's own type values mapped to the taxonomy, so that no type is ever guessed.

A value is the type the mapping file's ``types:`` gives it, or a type's exact slug or name; a
value that merely resembles one ("BURGLARY": residences and businesses alike) is rejected.
"""

from __future__ import annotations

from collections.abc import Mapping

from phenomena.errors import InvalidValue
from phenomena.incident_files.problems import LineProblem
from phenomena.taxonomy import PhenomenonType
from phenomena.text import fold

EMPTY = "the type is empty"


class TypeMap:
    """Source values (compared without regard to case, accents or punctuation) to types."""

    def __init__(self, entries: Mapping[str, PhenomenonType] | None = None) -> None:
        self._entries = {fold(key): kind for key, kind in (entries or {}).items()}

    @classmethod
    def parse(cls, raw: object, where: str) -> TypeMap:
        """The ``types:`` of a mapping file; InvalidValue lists every entry that is wrong."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise InvalidValue(
                f"{where}: 'types' maps the file's values to types, e.g. "
                "types: {'459 PC BURGLARY RESIDENCE': residential-burglary}"
            )
        entries: dict[str, PhenomenonType] = {}
        seen: dict[str, str] = {}
        problems = []
        for key, value in raw.items():
            source = str(key).strip()
            kind = PhenomenonType.named(str(value)) if value is not None else None
            if kind is None:
                problems.append(f"{source!r}: {value!r} is not a type")
                continue
            folded = fold(source)
            if folded in seen and entries[seen[folded]] is not kind:
                problems.append(f"{source!r} and {seen[folded]!r} are the same value mapped twice")
                continue
            seen[folded] = source
            entries[source] = kind
        if problems:
            raise InvalidValue(
                f"{where}: types: {'; '.join(problems)}. The types are: "
                + ", ".join(t.value for t in PhenomenonType)
            )
        return cls(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def read(self, text: str) -> PhenomenonType:
        """The type of one value, or LineProblem (grouped by the value) saying what to do."""
        value = text.strip()
        if not value:
            raise LineProblem(EMPTY)
        kind = self._entries.get(fold(value)) or PhenomenonType.named(value)
        if kind is not None:
            return kind
        reason = f"type {value!r} is neither in the mapping file's types: nor a type's slug or name"
        text = (
            f"{reason}: add it under types: (e.g. '{value}: {PhenomenonType.OTHER.value}') "
            "or use one of " + ", ".join(t.value for t in PhenomenonType)
        )
        raise LineProblem(reason, text)
