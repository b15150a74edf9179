"""Fixtures of the end-to-end tests: a running ``prevnet up --demo`` per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.up import Running, started


@pytest.fixture
async def network(tmp_path: Path) -> AsyncIterator[Running]:
    async with started(tmp_path / "data") as running:
        yield running
