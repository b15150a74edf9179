"""Escalation steps as ``!alert reach`` shows them: when each fired, whom it called, how, and
whom their notification preferences held back; the next one waiting; why one stopped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from phenomena.escalation import ACK, FEDERAL_LEVEL, FIRED, STOPPED, WAITING


class EscalationStepLike(Protocol):
    """What is recorded of one step (``phenomena.storage.escalations.EscalationStep``)."""

    @property
    def kind(self) -> str: ...
    @property
    def level(self) -> int: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def state(self) -> str: ...
    @property
    def ended_at(self) -> datetime | None: ...
    @property
    def detail(self) -> dict[str, Any] | None: ...


def _when(moment: datetime | None) -> str:
    return f"{moment:%d/%m %H:%M:%S} UTC" if moment is not None else "?"


def _people(ids: Sequence[str], names: Mapping[str, str]) -> str:
    return ", ".join(f"{names.get(i, i)} ({i})" for i in ids) or "nobody"


def _what(step: EscalationStepLike) -> str:
    if step.kind == ACK:
        return "no acknowledgement"
    return "moderation, " + ("federal" if step.level == FEDERAL_LEVEL else "province")


def escalation_lines(steps: Sequence[EscalationStepLike]) -> list[str]:
    """The reach answer's lines about escalation (none for an alert without steps)."""
    lines: list[str] = []
    for step in steps:
        detail = step.detail or {}
        names: Mapping[str, str] = detail.get("names") or {}
        if step.state == WAITING:
            lines.append(f"- next escalation ({_what(step)}): due {_when(step.due_at)}")
        elif step.state == STOPPED:
            reason = detail.get("stopped", "")
            lines.append(f"- escalation ({_what(step)}) stopped {_when(step.ended_at)}: {reason}")
        elif step.state == FIRED:
            lines += _fired(step, detail, names)
    return ["", "Escalation:", *lines] if lines else []


def _fired(
    step: EscalationStepLike, detail: Mapping[str, Any], names: Mapping[str, str]
) -> list[str]:
    head = f"- escalated {_when(step.ended_at)} ({_what(step)} after {detail.get('after', '?')})"
    lines: list[str] = []
    if step.kind == ACK:
        lines.append(head + ":")
        for room, calls in sorted((detail.get("rooms") or {}).items()):
            mentioned = _people(calls.get("mentioned") or [], names)
            line = f"  - {room}: mentioned in the bulletin's thread: {mentioned}"
            if calls.get("held"):
                line += f"; held back by their preferences: {_people(calls['held'], names)}"
            lines.append(line)
        mail = detail.get("email")
        if mail is None:
            lines.append("  - e-mail: not configured, mentions only")
        else:
            line = f"  - e-mailed: {_people(mail.get('to') or [], names)}"
            if mail.get("held"):
                line += f"; held back: {_people(mail['held'], names)}"
            if mail.get("no_address"):
                line += f"; no address: {_people(mail['no_address'], names)}"
            lines.append(line)
        return lines
    line = f"{head}: mentioned in #moderation: {_people(detail.get('mentioned') or [], names)}"
    if detail.get("held"):
        line += f"; held back by their preferences: {_people(detail['held'], names)}"
    return [line]
