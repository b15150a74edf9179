"""The bot's cross-signing at ``prevnet up``: started once its session exists, never fatal.

A bot whose device is not cross-signed still delivers every bulletin (Element warns about it),
so a failure here is logged with what to do and the network goes on.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import nio

from bots.cross_signing import Announce, BotIdentity
from phenomena.errors import PrevnetError

log = logging.getLogger(__name__)

CREDENTIALS = "bot-credentials.json"


def bot_password(data: Path) -> str | None:
    """The bot account's password, kept by prevnet when it made the account (embedded
    homeserver); None with an external homeserver, where prevnet only has a token."""
    path = data / CREDENTIALS
    if not path.exists():
        return None
    password = json.loads(path.read_text(encoding="utf-8")).get("password")
    return str(password) if password else None


async def cross_sign_bot(
    client: nio.AsyncClient, store: Path, data: Path, announce: Announce
) -> BotIdentity | None:
    """Keep the bot's device cross-signed (identity made at first start); None if it failed."""
    identity = BotIdentity(client, store, bot_password(data), announce)
    try:
        await identity.start()
    except PrevnetError as exc:
        log.error("the bot's device is not cross-signed, so Element warns on its messages: %s", exc)
        return None
    except Exception:  # the homeserver unreachable, a bug: bulletins go out all the same
        log.exception(
            "the bot's device is not cross-signed (Element warns on its messages); the next "
            "start tries again: see the error below"
        )
        return None
    return identity
