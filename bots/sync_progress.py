"""Where the bot's sync stopped, saved once that sync's events are handled (``SyncProgress``).

A restart carries on from the saved token: what was typed while the bot was down is answered,
and what it had handled is not carried out again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

log = logging.getLogger(__name__)

TOKEN_PAUSE = 0.2  # seconds between handling a sync and saving its token (see _save_soon)


class SyncTokens(Protocol):
    """Where the bot's sync stopped (``phenomena.storage.sync_tokens.SqlSyncTokens``)."""

    async def load(self) -> str | None: ...
    async def save(self, token: str) -> None: ...


class SyncProgress:
    """Saves the newest handled sync token, after the bot's background tasks are through."""

    def __init__(self, tokens: SyncTokens | None, background: set[asyncio.Task[None]]) -> None:
        self._tokens = tokens
        self._background = background  # reactions handled apart from the sync loop
        self._token: str | None = None  # the newest sync token whose events are handled
        self._saved: str | None = None
        self._saving: asyncio.Task[None] | None = None
        self._flush = asyncio.Event()  # stopping: save now, without the pause

    async def load(self) -> str | None:
        """The token to resume from, if any."""
        return await self._tokens.load() if self._tokens is not None else None

    def handled(self, next_batch: str) -> None:
        """Every event of a sync is handled: the next run starts after them."""
        if self._tokens is None:
            return
        self._token = next_batch
        if self._saving is None or self._saving.done():
            self._saving = asyncio.create_task(self._save_soon())

    async def _save_soon(self) -> None:
        """Write the newest token after a short pause, and once more if a newer one came.

        A busy bot so writes it a few times a second rather than after every sync, and not
        while the events it just handed over are being delivered. A crash in the pause replays
        those syncs after the restart: exactly-once markers keep every command to one run.
        """
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(TOKEN_PAUSE):
                await self._flush.wait()
        while self._tokens is not None:
            token = self._token
            if token is None or token == self._saved:
                return
            if not await self._background_finished():
                return  # stopping: what was cut short comes again with its sync after a restart
            try:
                await self._tokens.save(token)
            except Exception:  # the next sync saves again; a replay repeats no command
                log.exception("the sync token could not be saved")
                return
            self._saved = token

    async def _background_finished(self) -> bool:
        """Wait for the reactions being handled; False if one was cut short by a stop."""
        running = set(self._background)
        if running:
            await asyncio.wait(running)
        return not any(task.cancelled() for task in running)

    async def flush(self) -> None:
        """Save the newest token now (on stop): no pause, and no write cut in half.

        Reactions still being handled are cut short, and then no newer token is saved: their
        syncs come again after the restart, and handling a reaction twice changes nothing.
        """
        unfinished = [task for task in self._background if not task.done()]
        for task in unfinished:
            task.cancel()
        if unfinished:
            await asyncio.wait(unfinished)
            self._token = None  # nothing newer than what is saved or being saved
        self._flush.set()
        if self._saving is not None:
            await self._saving
        await self._save_soon()  # a token that came after the last save began
