"""Fixtures of the Matrix tests: a MatrixNetwork with its own alias namespace per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bots.network import MatrixNetwork
from bots.synapse_admin import SynapseAdmin
from phenomena.territory import TerritoryRegistry
from tests.support.synapse import LocalHomeserver, client_for


@pytest.fixture
async def network(
    homeserver: LocalHomeserver, admin: SynapseAdmin, territories: TerritoryRegistry
) -> AsyncIterator[MatrixNetwork]:
    """The registry applier, acting as the session's bot, with test-unique room aliases."""
    client = client_for(homeserver.url, homeserver.bot)
    try:
        yield MatrixNetwork(
            client, admin, "prevnet.test", territories, namespace=homeserver.unique("n") + "-"
        )
    finally:
        await client.close()
