"""What can be wrong with one line of an incident file, named so that like problems group."""

from __future__ import annotations

from phenomena.errors import DomainError, InvalidValue


class LineProblem(InvalidValue):
    """One problem of one line: ``reason`` is shared by every line with the same problem."""

    def __init__(self, reason: str, text: str | None = None) -> None:
        super().__init__(text or reason)
        self.reason = reason


def as_problem(error: DomainError) -> LineProblem:
    """Any domain error as a line problem (errors that name a value group by their message)."""
    if isinstance(error, LineProblem):
        return error
    return LineProblem(str(error))


class LineProblems(InvalidValue):
    """Every problem of one line (the message joins them)."""

    def __init__(self, problems: list[LineProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = tuple(problems)
