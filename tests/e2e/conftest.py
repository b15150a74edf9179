"""Fixtures of the end-to-end tests: a running ``prevnet up --demo`` per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.synapse import free_port
from tests.support.up import Running, start


@pytest.fixture
async def network(tmp_path: Path) -> AsyncIterator[Running]:
    running = await start(tmp_path / "data", free_port())
    try:
        yield running
    finally:
        if running.process.returncode is None:
            running.process.kill()
            await running.process.wait()
