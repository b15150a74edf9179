"""A client-side limit on Discourse calls, so the admin API budget is kept, not discovered.

Discourse counts an admin API key's requests in a sliding window (60 a minute by default) and
answers 429 beyond it. This limiter applies the same rule before sending, with a small margin
for the time a request takes to arrive, and stops everything for the ``Retry-After`` a 429
still brings (another client sharing the key, a lower limit than configured).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

MIN_MARGIN_SECONDS = 0.25
"""Requests reach Discourse a little after they are let through, not all equally late: the
margin covers that jitter however short the window."""


class RateLimiter:
    """At most ``limit`` acquisitions in any ``window`` seconds, shared by all callers."""

    def __init__(
        self,
        limit: int = 60,
        window: float = 60.0,
        *,
        margin: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("the rate limit needs at least one request per positive window")
        self.limit = limit
        self.window = window + max(window * margin, MIN_MARGIN_SECONDS)
        self._clock = clock
        self._stamps: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.waited = 0.0  # seconds spent waiting, for the metrics and the benchmark

    async def acquire(self) -> None:
        """Wait until one more request fits in the window (and any pause is over)."""
        async with self._lock:
            while True:
                now = self._clock()
                while self._stamps and now - self._stamps[0] >= self.window:
                    self._stamps.popleft()
                wait = self._paused_until - now
                if len(self._stamps) >= self.limit:
                    wait = max(wait, self._stamps[0] + self.window - now)
                if wait <= 0:
                    self._stamps.append(now)
                    return
                self.waited += wait
                await asyncio.sleep(wait)

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (a 429's ``Retry-After``)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
