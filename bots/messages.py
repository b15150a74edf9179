"""The Matrix message contents the bot sends: notices, edits in place and notes in a thread.

Each mentions nobody (``m.mentions: {}``): they quote what members wrote, and without it a
client's legacy rule rings the whole room for an "@room" in the body, on the bot's power. A post
that rings (an urgent bulletin, an escalation) sets its own mentions."""

from __future__ import annotations

from typing import Any

from bots.rendering import Rendered


def notice(rendered: Rendered) -> dict[str, Any]:
    return {
        "msgtype": "m.notice",
        "body": rendered.text,
        "format": "org.matrix.custom.html",
        "formatted_body": rendered.html,
        "m.mentions": {},
    }


def edit_content(original_event: str, rendered: Rendered) -> dict[str, Any]:
    """An ``m.replace`` edit that shows ``rendered`` in place of the original."""
    new = notice(rendered)
    return {
        "msgtype": "m.notice",
        "body": "* " + rendered.text,
        "format": "org.matrix.custom.html",
        "formatted_body": "* " + rendered.html,
        "m.new_content": new,
        "m.relates_to": {"rel_type": "m.replace", "event_id": original_event},
        "m.mentions": {},
    }


def thread_note(root_event: str, text: str) -> dict[str, Any]:
    """A short notice in the thread of a bulletin."""
    return {
        "msgtype": "m.notice",
        "body": text,
        "m.mentions": {},
        "m.relates_to": {
            "rel_type": "m.thread",
            "event_id": root_event,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": root_event},
        },
    }
