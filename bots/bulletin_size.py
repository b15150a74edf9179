"""A bulletin's size in bytes, as the homeserver will count it, checked before it is stored.

The homeserver refuses events over 65,536 bytes, and retrying cannot change that; so an alert
whose bulletin (or the edit that later closes it, which carries the text twice) would be too
large in any routed room's language is refused at draft and update time, saying how much to cut.
Encrypted rooms count most: matrix-nio writes the plaintext as ASCII JSON (an emoji becomes a
12-byte escape), and the ciphertext is base64 (4 bytes for every 3).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from bots.bulletin_mentions import bulletin_content, bulletin_edit
from bots.i18n import Labels
from bots.rendering import render_alert
from phenomena.alert import Alert, AlertStatus
from phenomena.rooms import room_languages
from phenomena.territory import TerritoryRegistry

MAX_EVENT_BYTES = 65_536
"""Synapse's limit on a whole event (``max_event_size`` in the Matrix specification)."""
ENVELOPE_BYTES = 4_096
"""Safety margin for what the homeserver adds around the content: sender, keys, session,
signatures, hashes, references to earlier events."""
_ROOM_ID = "!" + "x" * 40 + ":" + "x" * 80
_LANGUAGE_NAMES = {"fr": "French", "nl": "Dutch", "de": "German", "en": "English"}


@dataclass(frozen=True)
class Oversize:
    """A bulletin too large in one language: by how many event bytes, and what to cut."""

    languages: tuple[str, ...]
    excess: int
    cut: int

    @property
    def language(self) -> str:
        """The language(s) as people name them."""
        names = [_LANGUAGE_NAMES.get(code, code) for code in self.languages]
        return " and ".join(names) if names else "English"

    def message(self, ref: str) -> str:
        """What the author reads."""
        return (
            f"{ref}: the bulletin is {self.excess} bytes too large in {self.language} "
            f"(the homeserver takes at most {MAX_EVENT_BYTES} bytes an event): shorten "
            f"summary/modus/advice by about {self.cut} bytes (an emoji counts 4, an accented "
            "letter 2); nothing was stored"
        )


def event_bytes(content: dict[str, Any]) -> int:
    """The bytes an event with this content takes on the homeserver, encrypted or not."""
    plain = len(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode())
    payload = json.dumps(
        {"type": "m.room.message", "content": content, "room_id": _ROOM_ID},
        separators=(",", ":"),
    )  # as matrix-nio encrypts it: ASCII escapes
    padded = (len(payload) // 16 + 1) * 16 + 100  # AES block padding, megolm header and MAC
    encrypted = math.ceil(padded / 3) * 4
    return max(plain, encrypted) + ENVELOPE_BYTES


def _largest(alert: Alert, territories: TerritoryRegistry, labels: Labels, source: str) -> int:
    """The largest event a room gets for this alert: the bulletin, or an edit of it."""
    priority = alert.content.priority  # an urgent one carries "@room" and its mentions
    sizes = [
        event_bytes(bulletin_content(render_alert(alert, territories, labels, source), priority))
    ]
    for status in (AlertStatus.UPDATED, AlertStatus.CLOSED, AlertStatus.EXPIRED):
        later = replace(alert, status=status, status_reason=None)
        rendered = render_alert(later, territories, labels, source)
        sizes.append(event_bytes(bulletin_edit("$" + "x" * 43, rendered, priority)))
    return max(sizes)


def _free_text_bytes(alert: Alert) -> int:
    content = alert.content
    return sum(len((t or "").encode()) for t in (content.summary, content.modus, content.advice))


def oversize(
    alert: Alert, rooms: Iterable[str], territories: TerritoryRegistry, source: str
) -> Oversize | None:
    """The worst language in which the alert's events would be too large, or None."""
    worst: Oversize | None = None
    for languages in dict.fromkeys(room_languages(room, territories) for room in rooms) or [()]:
        labels = Labels(languages)
        size = _largest(alert, territories, labels, source)
        excess = size - MAX_EVENT_BYTES
        if excess <= 0:
            continue
        text = _free_text_bytes(alert)
        bare = replace(alert, content=replace(alert.content, summary="", modus=None, advice=None))
        per_byte = (size - _largest(bare, territories, labels, source)) / text if text else 0
        cut = math.ceil(excess / per_byte) if per_byte > 0 else excess
        if worst is None or excess > worst.excess:
            worst = Oversize(languages, excess, cut)
    return worst
