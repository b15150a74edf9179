"""Fixtures of the end-to-end tests: a running ``prevnet up --demo`` per test, resumed from a
copy of the process's demo template (its rooms and accounts made once)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.up import DemoTemplate, Running, demo_template, started

__all__ = ["demo_template"]


@pytest.fixture
async def network(tmp_path: Path, demo_template: DemoTemplate) -> AsyncIterator[Running]:
    async with started(tmp_path / "data", template=demo_template) as running:
        yield running
