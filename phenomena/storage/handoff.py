"""Outbox events handed straight from the committing transaction to a dispatcher in-process.

Claiming a just-committed event back from the outbox costs a transaction and a wake-up before
the first message goes out. Instead the unit of work writes this process's copy of each event
already claimed (a lease under the dispatcher's worker name) and, once the commit succeeded,
hands the events over. The outbox stays the record: another dispatcher skips them while the
lease runs, and if this process dies first, the next run under the same worker name takes its
claims back at start-up (``Outbox.release_own_claims``), or another instance does when the lease
runs out.

The alerts the transaction wrote travel with its events, as they were committed: the handlers
of a handed-over event read them from ``committed_alert`` instead of the database. An event
claimed back from the outbox (a retry, another instance) carries none and is read afresh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

from phenomena.alert import Alert
from phenomena.events import Event

_NONE: Mapping[int, Alert] = MappingProxyType({})


@dataclass(frozen=True)
class OutboxMessage:
    """A claimed event, with the handlers that already finished with it."""

    id: int
    event: Event
    attempts: int
    created_at: datetime
    handled: frozenset[str]
    # the alerts written by the committing transaction (handed-over events only; in memory)
    alerts: Mapping[int, Alert] = field(default_factory=dict)


# Set by the dispatcher around each event it delivers: the alerts that event's transaction wrote.
delivered_with: ContextVar[Mapping[int, Alert]] = ContextVar("delivered_with", default=_NONE)


def committed_alert(alert_id: int) -> Alert | None:
    """The alert as the event being delivered committed it, if it was handed over with it."""
    return delivered_with.get().get(alert_id)


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
