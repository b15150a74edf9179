"""What an import did, said in a few lines: counts, and rejected lines grouped by reason.

A file with 24,000 bad lines usually has two or three problems; the analyst needs those, with a
few line numbers to look at, not 24,000 messages. Every line is in the rejects file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from phenomena.incident_files.problems import LineProblem
from phenomena.incident_files.table import Record

EXAMPLES = 3
"""Lines quoted under each reason, each saying something the others do not."""
LINE_NUMBERS = 10
"""Line numbers listed under each reason."""
REASONS = 15
"""Reasons shown; the others are counted (every one is in the rejects file)."""


@dataclass(frozen=True)
class Rejection:
    """A line that was not imported, with every one of its problems."""

    record: Record
    problems: tuple[LineProblem, ...]

    @property
    def line(self) -> int:
        """The line number in the file."""
        return self.record.line

    def explained(self) -> str:
        """All the line's problems, in one text."""
        return "; ".join(str(p) for p in self.problems)


@dataclass
class ImportReport:
    """Lines read, added, already known and rejected."""

    read: int
    added: int
    known: int
    rejected: list[Rejection] = field(default_factory=list)

    def summary(self) -> str:
        """The one line that says what happened."""
        return (
            f"{self.read} line(s) read: {self.added} added, {self.known} already known, "
            f"{len(self.rejected)} rejected"
        )

    def by_reason(self, rejects_file: str | None = None) -> list[str]:
        """The rejected lines grouped by reason, most frequent first (empty when none)."""
        if not self.rejected:
            return []
        groups: dict[str, list[tuple[int, LineProblem]]] = {}
        for rejection in sorted(self.rejected, key=lambda r: r.line):
            for problem in rejection.problems:
                groups.setdefault(problem.reason, []).append((rejection.line, problem))
        ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[1][0][0]))
        where = (
            f"every one is in {rejects_file}"
            if rejects_file
            else "--rejects FILE writes every one with its reasons"
        )
        out = [f"rejected lines, by reason ({where}):"]
        for reason, hits in ordered[:REASONS]:
            numbers = ", ".join(str(line) for line, _ in hits[:LINE_NUMBERS])
            more = f" and {len(hits) - LINE_NUMBERS} more" if len(hits) > LINE_NUMBERS else ""
            out.append(f"  {len(hits)} line(s) ({numbers}{more}): {reason}")
            shown = {reason}
            for line, problem in hits:
                if len(shown) > EXAMPLES:
                    break
                if str(problem) not in shown:
                    shown.add(str(problem))
                    out.append(f"    line {line}: {problem}")
        if len(ordered) > REASONS:
            rest = sum(len(hits) for _, hits in ordered[REASONS:])
            out.append(f"  and {len(ordered) - REASONS} other reason(s), on {rest} line(s)")
        return out


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(cell: str) -> str:
    """The cell as a spreadsheet shows it as text: ``=HYPERLINK(...)``, ``@SUM(...)`` or
    ``+cmd`` from a hostile export would otherwise run as a formula when the rejects file is
    opened (CSV injection). Plain numbers such as ``-3,95`` are kept as they are."""
    if not cell.startswith(_FORMULA_STARTS):
        return cell
    try:
        float(cell.replace(",", "."))
    except ValueError:
        return "'" + cell
    return cell


def rejects_rows(header: Sequence[str], rejected: Sequence[Rejection]) -> list[list[str]]:
    """The rejects file: a header, then each rejected line's number, problems and fields (any
    that a spreadsheet would take for a formula made text)."""
    rows = [["line", "problems", *(_inert(name) for name in header)]]
    rows += [
        [str(r.line), _inert(r.explained()), *(_inert(f) for f in r.record.fields)]
        for r in sorted(rejected, key=lambda r: r.line)
    ]
    return rows
