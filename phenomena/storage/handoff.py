"""Outbox events handed straight from the committing transaction to a dispatcher in-process.

Claiming a just-committed event back from the outbox costs a transaction and a wake-up before
the first message goes out. Instead the unit of work writes this process's copy of each event
already claimed (a lease under the dispatcher's worker name) and, once the commit succeeded,
hands the events over. The outbox stays the record: another dispatcher skips them while the
lease runs, and if this process dies first, the next run under the same worker name takes its
claims back at start-up (``Outbox.release_own_claims``), or another instance does when the lease
runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from phenomena.events import Event


@dataclass(frozen=True)
class OutboxMessage:
    """A claimed event, with the handlers that already finished with it."""

    id: int
    event: Event
    attempts: int
    created_at: datetime
    handled: frozenset[str]


class Handoff(Protocol):
    """A dispatcher that takes its consumer's events at commit (``prevnet.dispatch``)."""

    @property
    def consumer(self) -> str:
        """The consumer whose copy of each event is handed over."""
        ...

    def lease(self, now: datetime) -> tuple[str, datetime]:
        """A claim token of this dispatcher and the end of its lease."""
        ...

    def take(self, messages: Sequence[OutboxMessage]) -> None:
        """Deliver these committed, claimed events soon (must not block the caller)."""
        ...
