"""The files a published capsule carries to its channels: both image cards, the A4 poster, and
the cocoon letter when detection proposed its alert.

Plain data: the composition root renders them (``prevnet.capsule_files``), the zone-room post
and the coordinators' mail only carry them, so both channels always carry the same files.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from phenomena.capsules.service import CapsuleRecord


class FileKind(enum.Enum):
    """What a file is for, with the suffix of its name."""

    CARD = ""  # 1080x1080: feeds and chats
    WIDE_CARD = "-wide"  # 1200x630: websites and link previews
    POSTER = "-poster"
    LETTER = "-letter"


@dataclass(frozen=True)
class CapsuleFile:
    """One rendered file: its name, type, bytes, and a line saying what it is."""

    kind: FileKind
    name: str
    mimetype: str
    data: bytes
    description: str

    @property
    def is_image(self) -> bool:
        """Whether chat clients show it as a picture."""
        return self.mimetype.startswith("image/")


def file_name(capsule_id: int, language: str, kind: FileKind) -> str:
    """``capsule-3-fr.png``, ``capsule-3-fr-wide.png``, ``capsule-3-fr-poster.pdf`` ..."""
    extension = "png" if kind in (FileKind.CARD, FileKind.WIDE_CARD) else "pdf"
    return f"capsule-{capsule_id}-{language}{kind.value}.{extension}"


CapsuleFiles = Mapping[str, tuple[CapsuleFile, ...]]
"""A capsule's files per language code."""
FilesOf = Callable[[CapsuleRecord], Awaitable[CapsuleFiles]]
"""Render every file of a published capsule (off the event loop: a PDF takes about a second)."""
