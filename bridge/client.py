"""The asynchronous face of the Discourse calls: rate-limited, off the event loop, retried on 429.

Each call waits for the shared limiter, then runs the blocking pydiscourse request in a worker
thread, so the bots and the webhook receiver keep answering while Discourse is slow. A 429
pauses every caller for its ``Retry-After`` and the call is sent again (the throttled request
did nothing); a 5xx or a timeout is raised as ``Unavailable`` for the outbox to retry later.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from bridge.api import Throttled, ToolboxApi
from bridge.limiter import RateLimiter

log = logging.getLogger(__name__)

T = TypeVar("T")


class Toolbox:
    """Run ``ToolboxApi`` methods: ``await toolbox.run(ToolboxApi.close_topic, 12)``."""

    def __init__(
        self,
        api: ToolboxApi,
        limiter: RateLimiter,
        *,
        max_throttled: int = 5,
        on_request: Callable[[str], None] | None = None,
    ) -> None:
        self.api = api
        self.limiter = limiter
        self._max_throttled = max_throttled
        self._on_request = on_request  # e.g. count requests for the metrics
        self.requests = 0
        self.throttled = 0

    async def run(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``method(self.api, *args, **kwargs)`` within the budget."""
        for _ in range(self._max_throttled + 1):
            await self.limiter.acquire()
            self.requests += 1
            if self._on_request is not None:
                self._on_request(method.__name__)
            try:
                return await asyncio.to_thread(functools.partial(method, self.api, *args, **kwargs))
            except Throttled as exc:
                self.throttled += 1
                log.warning("Discourse throttled %s: %s", method.__name__, exc)
                self.limiter.pause(exc.retry_after)
        raise Throttled(0, f"still throttled after {self._max_throttled} waits")
