"""Who a bulletin rings: an urgent one mentions the whole room (``m.mentions`` with ``room``, and
"@room" in its body for clients that still read the body), any other mentions nobody.

An edit carries the mentions of the new text in ``m.new_content`` and none of its own: homeservers
never notify for edits (``.m.rule.suppress_edits``). An alert that has just become urgent rings
through the change note in the bulletin's thread instead (intentional mentions, Matrix spec 1.7).
"""

from __future__ import annotations

from typing import Any

from bots.messages import edit_content, notice, thread_note
from bots.rendering import Rendered
from phenomena.priority import Priority

ROOM_MENTION = "@room"


def _mentions(priority: Priority) -> dict[str, Any]:
    return {"room": True} if priority is Priority.URGENT else {}


def _ringing(rendered: Rendered, priority: Priority) -> Rendered:
    if priority is not Priority.URGENT:
        return rendered
    return Rendered(f"{ROOM_MENTION} {rendered.text}", f"{ROOM_MENTION} {rendered.html}")


def bulletin_content(rendered: Rendered, priority: Priority) -> dict[str, Any]:
    """The notice of a bulletin: urgent mentions the room, normal mentions nobody."""
    content = notice(_ringing(rendered, priority))
    content["m.mentions"] = _mentions(priority)
    return content


def bulletin_edit(original_event: str, rendered: Rendered, priority: Priority) -> dict[str, Any]:
    """The edit of a bulletin in place: the new text's mentions, and no ring of its own."""
    content = edit_content(original_event, _ringing(rendered, priority))
    content["m.new_content"]["m.mentions"] = _mentions(priority)
    content["m.mentions"] = {}
    return content


def change_note(root_event: str, text: str, rings: bool) -> dict[str, Any]:
    """The note in a bulletin's thread on a change; ``rings`` (just made urgent) mentions the
    room, which a thread reply does and an edit cannot."""
    if not rings:
        content = thread_note(root_event, text)
        content["m.mentions"] = {}
        return content
    content = thread_note(root_event, f"{ROOM_MENTION} {text}")
    content["m.mentions"] = {"room": True}
    return content
