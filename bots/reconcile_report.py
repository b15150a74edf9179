"""What a reconciliation changed, and the problems it could not repair (with the fix)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """Something reconciliation could not repair, or that a person should look at."""

    subject: str  # a room key, an alias or a Matrix ID
    reason: str  # what went wrong, with the homeserver's answer
    fix: str  # what a person should do about it

    def line(self) -> str:
        """One line for the admin room and ``/health``."""
        return f"- {self.subject}: {self.reason}. Fix: {self.fix}"


@dataclass
class ReconcileReport:
    """What a reconciliation changed and what it found that a person should know."""

    rooms_created: list[str] = field(default_factory=list)
    accounts_created: list[str] = field(default_factory=list)
    accounts_fixed: list[str] = field(default_factory=list)
    joined: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    power_levels_set: list[str] = field(default_factory=list)
    state_repaired: list[tuple[str, str]] = field(default_factory=list)  # (room key, what)
    unknown_accounts: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def intruders(self) -> list[tuple[str, str]]:
        """People found in rooms the registry does not give them (invited by hand, say)."""
        return self.removed

    def problem(self, subject: str, reason: str, fix: str) -> None:
        """Note something that could not be repaired; the reconciliation goes on."""
        self.problems.append(Problem(subject, reason, fix))

    def summary(self, max_lines: int | None = None) -> str:
        """One paragraph for the admin room; with ``max_lines``, the details after that many
        lines are counted, not listed (a homeserver full of foreign accounts would otherwise
        make a message too large to post, and stop the start)."""
        parts = [
            f"{len(self.rooms_created)} room(s) created",
            f"{len(self.accounts_created)} account(s) created",
            f"{len(self.accounts_fixed)} account(s) corrected",
            f"{len(self.joined)} join(s)",
            f"{len(self.removed)} removal(s)",
            f"{len(self.power_levels_set)} power level change(s)",
            f"{len(self.state_repaired)} room setting(s) repaired",
        ]
        if self.problems:
            parts.append(f"{len(self.problems)} problem(s) not repaired")
        lines = ["Reconciliation: " + ", ".join(parts) + "."]
        lines += [
            f"- removed {who} from {room}: the registry does not give it this room"
            for who, room in self.removed
        ]
        lines += [f"- repaired the {what} of {room}" for room, what in self.state_repaired]
        lines += [
            f"- account {who} is not in the registry (left as it is)"
            for who in self.unknown_accounts
        ]
        if self.problems:
            lines.append("Not repaired (everything else was):")
            lines += [p.line() for p in self.problems]
        if max_lines is not None and len(lines) > max_lines + 1:
            rest = len(lines) - 1 - max_lines
            lines = [
                *lines[: max_lines + 1],
                f"… and {rest} more line(s): run `prevnet reconcile` to see them all",
            ]
        return "\n".join(lines)

    @property
    def changed_anything(self) -> bool:
        """Whether the homeserver was changed."""
        return bool(
            self.rooms_created
            or self.accounts_created
            or self.accounts_fixed
            or self.joined
            or self.removed
            or self.power_levels_set
            or self.state_repaired
        )
