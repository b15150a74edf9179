"""Test-only seams that ``prevnet up --demo`` takes from the environment, so that an end-to-end
test can stop a process at a chosen point instead of hoping for the right timing. A network that
is not the demo refuses to start with one set: its bulletins would silently never go out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from prevnet.settings import SettingsError

log = logging.getLogger(__name__)

HOLD_BULLETINS_AFTER = "PREVNET_TEST_HOLD_BULLETINS_AFTER"
"""``N``: the first N bulletins this process sends go out, every later one waits for ever."""


def bulletin_hold(
    environ: Mapping[str, str], *, demo: bool
) -> Callable[[], Awaitable[None]] | None:
    """The ``before_bulletin`` hook ``HOLD_BULLETINS_AFTER`` asks for, or None when it is unset."""
    value = environ.get(HOLD_BULLETINS_AFTER, "").strip()
    if not value:
        return None
    if not demo:
        raise SettingsError(
            f"{HOLD_BULLETINS_AFTER} is set: it holds bulletins back for ever and is for tests of "
            "`prevnet up --demo` only; unset it to start this network"
        )
    if not value.isdigit():
        raise SettingsError(
            f"{HOLD_BULLETINS_AFTER}={value!r} is not a whole number of bulletins; "
            "unset it (it is for tests only)"
        )
    limit = int(value)
    log.warning(
        "%s=%d: bulletins after the first %d wait for ever", HOLD_BULLETINS_AFTER, limit, limit
    )
    passed = 0

    async def hold() -> None:
        nonlocal passed
        if passed < limit:
            passed += 1
            return
        await asyncio.Event().wait()  # never set: the test kills the process here

    return hold
