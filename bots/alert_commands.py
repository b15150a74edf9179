"""Alerts in chat: ``!alert new|publish|cancel|update|close|show|list|reach|recipients``,
``!approve`` and ``!reject``.

Answers are judged by their audience (``phenomena.audience``): content is posted in a room only
if every member of it may read it, otherwise it goes to the asker's direct chat with the bot
and the room gets a pointer. Drafts always go to the direct chat. An alert that does not exist
and one the asker may not see get the same answer. State-changing commands commit at most once
per chat event.
"""

from __future__ import annotations

from bots.alert_authoring import register_authoring_commands
from bots.alert_desk import AlertDesk
from bots.alert_reading import register_reading_commands
from bots.commands import CommandRegistry
from bots.moderation_commands import register_moderation_commands


def register_alert_commands(registry: CommandRegistry, desk: AlertDesk) -> None:
    """Add the alert commands and return nothing; reactions go through ``on_reaction``."""
    register_authoring_commands(registry, desk)
    register_reading_commands(registry, desk)
    register_moderation_commands(registry, desk)
