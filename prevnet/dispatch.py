"""The outbox dispatcher: delivers each recorded event to its handlers, with retries.

A handler is an idempotent coroutine named for what it does (``matrix-membership``). When one
fails, the event is retried later with exponential backoff, and the handlers that already
finished are not run again. A crash at any point loses nothing: an unfinished event is claimed
again (by a restarted dispatcher at once, by another one when its lease runs out), and a handler
that had finished may run again, which its idempotence makes harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from phenomena.events import Event
from phenomena.storage.handoff import OutboxMessage, delivered_with
from phenomena.storage.outbox import Outbox, delivery_attempt
from phenomena.storage.unit_of_work import utc_now

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """A named handler and the event types it wants."""

    name: str
    events: tuple[type[Event], ...]
    handle: Handler


def backoff(attempts: int, base: float = 2.0, cap: float = 300.0) -> timedelta:
    """How long to wait before retry number ``attempts + 1``: 2 s, 4 s, 8 s ... at most 5 min."""
    return timedelta(seconds=min(cap, base * (2 ** max(attempts, 0))))


class Dispatcher:
    """Claims outbox events and runs the subscribed handlers until stopped.

    It is also a ``Handoff``: a unit of work made with ``handoff=dispatcher`` commits this
    consumer's copy of its events already claimed by this dispatcher and passes them over, so
    the first message goes out without reading them back (see ``phenomena.storage.handoff``).
    """

    def __init__(
        self,
        outbox: Outbox,
        subscriptions: Sequence[Subscription],
        *,
        clock: Callable[[], datetime] = utc_now,
        idle_seconds: float = 0.5,
        on_failure: Callable[[str], None] | None = None,
        retry_base: float = 2.0,
    ) -> None:
        self._outbox = outbox
        self._subscriptions = list(subscriptions)
        self._clock = clock
        self._idle = idle_seconds
        self._wake = asyncio.Event()
        self._on_failure = on_failure  # e.g. count failures for the metrics
        self._retry_base = retry_base  # seconds before the first retry (tests shorten it)
        self._handed: deque[OutboxMessage] = deque()
        self._handed_total = 0  # handed over since the start
        self._handed_undelivered = 0  # handed over and not yet through their handlers
        self._handed_done = asyncio.Event()
        self._handed_done.set()

    def subscribe(self, subscription: Subscription) -> None:
        """Add a handler (before ``run``: the composition root wires handlers after creation)."""
        self._subscriptions.append(subscription)

    def wake(self) -> None:
        """Look at the outbox now (a use case just committed events)."""
        self._wake.set()

    @property
    def consumer(self) -> str:
        """The consumer this dispatcher delivers for (``Handoff``)."""
        return self._outbox.consumer

    def lease(self, now: datetime) -> tuple[str, datetime]:
        """A claim under this dispatcher's worker name (``Handoff``)."""
        return self._outbox.lease(now)

    def take(self, messages: Sequence[OutboxMessage]) -> None:
        """Events committed already claimed by this dispatcher: deliver them next (``Handoff``)."""
        self._handed.extend(messages)
        self._handed_total += len(messages)
        self._handed_undelivered += len(messages)
        if self._handed_undelivered:
            self._handed_done.clear()
        self._wake.set()

    @property
    def handed_over(self) -> int:
        """How many events were handed over since the start (the bot compares it)."""
        return self._handed_total

    async def handed_over_delivered(self) -> None:
        """Return once every event handed over so far has been through its handlers.

        Delivered or failed (a failure is retried from the outbox later, not waited for). The
        bot waits for this, bounded, before it syncs again after a command; see ``Bot``.
        """
        await self._handed_done.wait()

    async def run_once(self, limit: int = 50) -> int:
        """Deliver the events handed over, or else one batch of due events; returns how many."""
        batch: list[OutboxMessage] = []
        while self._handed and len(batch) < limit:
            batch.append(self._handed.popleft())
        handed = len(batch)
        if not batch:
            batch = await self._outbox.claim(limit=limit)
        try:
            for message in batch:
                await self._deliver(message)
        finally:
            # counted as through even when recording an outcome failed: a later claim of the
            # outbox delivers the rest, and nobody waits for that
            self._count_handed_delivered(handed)
        return len(batch)

    def _count_handed_delivered(self, count: int) -> None:
        self._handed_undelivered -= count
        if not self._handed_undelivered:
            self._handed_done.set()

    async def _deliver(self, message: OutboxMessage) -> None:
        due = [
            sub
            for sub in self._subscriptions
            if isinstance(message.event, sub.events) and sub.name not in message.handled
        ]
        attempt = delivery_attempt.set(message.attempts)
        alerts = delivered_with.set(message.alerts)
        try:
            await self._run_handlers(message, due)
        finally:
            delivery_attempt.reset(attempt)
            delivered_with.reset(alerts)

    async def _run_handlers(self, message: OutboxMessage, due: list[Subscription]) -> None:
        done: list[str] = []
        for sub in due:
            try:
                await sub.handle(message.event)
            except Exception as exc:
                delay = backoff(message.attempts, self._retry_base)
                if self._on_failure is not None:
                    self._on_failure(sub.name)
                log.warning(
                    "%s failed on %s #%d (attempt %d), retry in %s: %s",
                    sub.name,
                    message.event.name,
                    message.id,
                    message.attempts + 1,
                    delay,
                    exc,
                )
                for name in done:  # those that finished are not run again on the retry
                    await self._outbox.mark_handled(message.id, name)
                await self._outbox.mark_failed(
                    message.id, f"{sub.name}: {type(exc).__name__}: {exc}", self._clock() + delay
                )
                return
            done.append(sub.name)
        await self._outbox.mark_delivered(message.id, done)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, sleeping when the outbox is empty."""
        released = await self._outbox.release_own_claims()
        if released:
            log.info("took back %d event(s) claimed by an earlier run that stopped", released)
        while not stop.is_set():
            # cleared before looking, so a wake-up or handoff during the look is not lost
            self._wake.clear()
            try:
                claimed = await self.run_once()
            except Exception:
                log.exception("the outbox could not be read; trying again")
                claimed = 0
            if claimed:
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._idle):  # woken in one step of the loop
                    await self._wake.wait()


def subscriptions_by_event(subs: Sequence[Subscription]) -> Mapping[str, list[str]]:
    """Which handlers receive which event type (for the README and diagnostics)."""
    table: dict[str, list[str]] = {}
    for sub in subs:
        for event in sub.events:
            table.setdefault(event.__name__, []).append(sub.name)
    return table
