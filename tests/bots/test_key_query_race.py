"""The bot's sync loop survives matrix-nio racing itself over device keys.

nio's ``sync_forever`` and a send to an encrypted room both ask for device keys when some are
due; the second to ask found nothing left and raised, which ended the sync loop and stopped
``prevnet up`` (seen in the two-instance test). The bot's client answers instead.
"""

from __future__ import annotations

from pathlib import Path

import nio

from bots.bot import bot_client
from bots.synapse_admin import Session


async def test_a_key_query_with_nothing_left_to_ask_answers_instead_of_raising(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    client = bot_client("http://127.0.0.1:9", Session("@bot:prevnet.test", "t", "BOT"), store)
    try:
        assert not client.users_for_key_query  # as when the other query took them all
        answer = await client.keys_query()
        assert isinstance(answer, nio.KeysQueryError)
        assert "another one" in answer.message
    finally:
        await client.close()
