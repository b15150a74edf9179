"""The outbox dispatcher: delivers each recorded event to its handlers, with retries.

A handler is an idempotent coroutine named for what it does (``matrix-membership``). When one
fails, the event is retried later with exponential backoff, and the handlers that already
finished are not run again. A crash at any point loses nothing: an unfinished event is claimed
again (by a restarted dispatcher at once, by another one when its lease runs out), and a handler
that had finished may run again, which its idempotence makes harmless.

Retries are bounded (see ``prevnet.delivery_failures`` for how long each kind of failure is
worth retrying): an event that fails for good becomes a dead letter, set aside so that it holds
back nothing, and ``on_dead_letter`` is told. That notice is not an outbox event: if it fails it
is logged and tried again later from memory, so it can never become a poison event itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from phenomena.events import Event
from phenomena.storage.handoff import OutboxMessage
from phenomena.storage.outbox import Outbox, OutboxEntry
from phenomena.storage.unit_of_work import utc_now
from prevnet.delivery_failures import FailureKind, classify, describe

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[None]]
DeadLetterNotice = Callable[[Sequence[OutboxEntry]], Awaitable[None]]

# Attempts before a failing event becomes a dead letter, by kind of failure.
MAX_ATTEMPTS = 8  # unknown failures: about 8.5 minutes with the default backoff
MAX_TRANSIENT_ATTEMPTS = 48  # the peer down or busy: about 3.5 hours
PERMANENT_ATTEMPTS = 1  # the request itself was refused: at once
NOTICE_TIMEOUT = 10.0  # seconds the dead-letter notice may take
NOTICE_RETRY = 60.0  # seconds before a failed notice is tried again
NOTICE_BACKLOG = 100  # dead letters kept in memory for a notice that keeps failing


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
        retry_cap: float = 300.0,
        max_attempts: int = MAX_ATTEMPTS,
        max_transient_attempts: int = MAX_TRANSIENT_ATTEMPTS,
        permanent_attempts: int = PERMANENT_ATTEMPTS,
        on_dead_letter: DeadLetterNotice | None = None,
    ) -> None:
        if min(max_attempts, max_transient_attempts, permanent_attempts) < 1:
            raise ValueError("every attempt limit must be at least 1")
        self._outbox = outbox
        self._subscriptions = list(subscriptions)
        self._clock = clock
        self._idle = idle_seconds
        self._wake = asyncio.Event()
        self._on_failure = on_failure  # e.g. count failures for the metrics
        self._retry_base = retry_base  # seconds before the first retry (tests shorten it)
        self._retry_cap = retry_cap  # the longest wait between two attempts
        self._handed: deque[OutboxMessage] = deque()
        self._limits = {
            FailureKind.PERMANENT: permanent_attempts,
            FailureKind.TRANSIENT: max_transient_attempts,
            FailureKind.UNKNOWN: max_attempts,
        }
        self.on_dead_letter = on_dead_letter  # e.g. a notice in #admin (never via the outbox)
        self._unannounced: list[OutboxEntry] = []
        self._unannounced_more = 0  # dead letters beyond the backlog, counted only
        self._next_notice = 0.0  # monotonic time before which a failed notice is not retried

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
        self._wake.set()

    async def run_once(self, limit: int = 50) -> int:
        """Deliver the events handed over, or else one batch of due events; returns how many."""
        batch: list[OutboxMessage] = []
        while self._handed and len(batch) < limit:
            batch.append(self._handed.popleft())
        if not batch:
            batch = await self._outbox.claim(limit=limit)
        try:
            for message in batch:
                await self._deliver(message)
        finally:
            self._remember(self._outbox.set_aside())
        await self.announce_dead_letters()
        return len(batch)

    def _remember(self, entries: Sequence[OutboxEntry]) -> None:
        room = max(NOTICE_BACKLOG - len(self._unannounced), 0)
        self._unannounced.extend(entries[:room])
        self._unannounced_more += max(len(entries) - room, 0)

    async def announce_dead_letters(self) -> None:
        """Tell ``on_dead_letter`` about new dead letters (bounded in time; failures logged)."""
        if not self._unannounced or self.on_dead_letter is None:
            return
        if time.monotonic() < self._next_notice:
            return
        entries = list(self._unannounced)
        if self._unannounced_more:
            log.warning("%d more dead letter(s) not in the notice", self._unannounced_more)
        try:
            async with asyncio.timeout(NOTICE_TIMEOUT):
                await self.on_dead_letter(entries)
        except Exception:
            log.exception("the dead-letter notice could not be posted; trying again later")
            self._next_notice = time.monotonic() + NOTICE_RETRY
            return
        del self._unannounced[: len(entries)]
        self._unannounced_more = 0

    async def _deliver(self, message: OutboxMessage) -> None:
        due = [
            sub
            for sub in self._subscriptions
            if isinstance(message.event, sub.events) and sub.name not in message.handled
        ]
        done: list[str] = []
        for sub in due:
            try:
                await sub.handle(message.event)
            except Exception as exc:
                await self._failed(message, sub.name, exc, done)
                return
            done.append(sub.name)
        await self._outbox.mark_delivered(message.id, done)

    async def _failed(
        self, message: OutboxMessage, handler: str, exc: Exception, done: list[str]
    ) -> None:
        """Retry later with backoff, or, once its attempts are spent, set the event aside."""
        if self._on_failure is not None:
            self._on_failure(handler)
        for name in done:  # those that finished are not run again on the retry
            await self._outbox.mark_handled(message.id, name)
        kind = classify(exc)
        attempt = message.attempts + 1
        reason = f"{handler}: {describe(exc)}"
        if attempt >= self._limits[kind]:
            log.error(
                "%s gave up on %s #%d after %d attempt(s) (%s failure), now a dead letter: %s",
                handler,
                message.event.name,
                message.id,
                attempt,
                kind.value,
                exc,
            )
            self._remember([await self._outbox.mark_dead(message.id, reason)])
            return
        delay = backoff(message.attempts, self._retry_base, self._retry_cap)
        log.warning(
            "%s failed on %s #%d (attempt %d of %d), retry in %s: %s",
            handler,
            message.event.name,
            message.id,
            attempt,
            self._limits[kind],
            delay,
            exc,
        )
        await self._outbox.mark_failed(message.id, reason, self._clock() + delay)

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


def dead_letter_notice(entries: Sequence[OutboxEntry], shown: int = 10) -> str:
    """The ``#admin`` notice for new dead letters: what, for whom, why, and what to do.

    Short and bounded whatever the number of letters, and without any event's text.
    """
    lines = [
        f"⚠️ {len(entries)} outbox event(s) failed for good and are set aside "
        "(dead letters); they are not retried on their own:"
    ]
    for entry in entries[:shown]:
        about = f" ({entry.subject})" if entry.subject else ""
        lines.append(
            f"- #{entry.id} {entry.event_type}{about} for {entry.consumer}, "
            f"{entry.attempts} attempt(s): {entry.reason}"
        )
    if len(entries) > shown:
        lines.append(f"- and {len(entries) - shown} more")
    lines.append(
        "`prevnet outbox list` shows them; fix the cause, then `prevnet outbox retry ID` "
        "(or `--all`), or `prevnet outbox drop ID` to give one up."
    )
    return "\n".join(line[:300] for line in lines)


def subscriptions_by_event(subs: Sequence[Subscription]) -> Mapping[str, list[str]]:
    """Which handlers receive which event type (for the README and diagnostics)."""
    table: dict[str, list[str]] = {}
    for sub in subs:
        for event in sub.events:
            table.setdefault(event.__name__, []).append(sub.name)
    return table
