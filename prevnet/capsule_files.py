"""A published capsule's files, rendered: the square and wide cards, the A4 poster, and the
cocoon letter for the streets around the cluster when detection proposed its alert.

Rendered once per delivery, off the event loop (a PDF takes about a second); a letter that
cannot be written (a capsule without a tip) is left out with a log line rather than holding
back the capsule's other files.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from phenomena.capsules.capsule import Capsule
from phenomena.capsules.cocoon import around_cluster
from phenomena.capsules.files import CapsuleFile, CapsuleFiles, FileKind, file_name
from phenomena.capsules.service import CapsuleRecord
from phenomena.detection.records import DetectionRecord
from phenomena.errors import InvalidValue
from prevnet.capsule_media.card import CardFormat, render_card
from prevnet.capsule_media.printed import render_cocoon_letter, render_poster

log = logging.getLogger(__name__)

DetectionOf = Callable[[int], Awaitable[DetectionRecord | None]]
"""The cluster detection proposed an alert from (None: a person wrote the alert)."""
PNG, PDF = "image/png", "application/pdf"


def card_file(record: CapsuleRecord, capsule: Capsule, kind: FileKind) -> CapsuleFile:
    """The square (``FileKind.CARD``) or wide (``FileKind.WIDE_CARD``) card as a file."""
    wide = kind is FileKind.WIDE_CARD
    card = render_card(capsule, CardFormat.WIDE if wide else CardFormat.SQUARE)
    what = "image card 1200x630, for websites and link previews" if wide else "image card"
    name = file_name(record.id, capsule.language, kind)
    return CapsuleFile(kind, name, PNG, card.png, f"{capsule.title} ({what})")


def poster_file(record: CapsuleRecord, capsule: Capsule) -> CapsuleFile:
    """The A4 poster as a file."""
    name = file_name(record.id, capsule.language, FileKind.POSTER)
    pdf = render_poster(capsule)
    return CapsuleFile(FileKind.POSTER, name, PDF, pdf, f"{capsule.title} (A4 poster)")


def letter_file(
    record: CapsuleRecord,
    capsule: Capsule,
    detected: DetectionRecord,
    streets: Sequence[str] = (),
) -> CapsuleFile:
    """The cocoon letter as a file: to ``streets``, else to those within the cluster's radius."""
    named = list(streets) or [around_cluster(capsule, detected)]
    pdf = render_cocoon_letter(capsule, named, detected)
    name = file_name(record.id, capsule.language, FileKind.LETTER)
    what = f"{capsule.title} (cocoon letter for the streets around the cluster)"
    return CapsuleFile(FileKind.LETTER, name, PDF, pdf, what)


def render_files(record: CapsuleRecord, detected: DetectionRecord | None) -> CapsuleFiles:
    """Every file of every language of the capsule, in the order they are posted."""
    files: dict[str, tuple[CapsuleFile, ...]] = {}
    for capsule in record.capsules:
        found = [
            card_file(record, capsule, FileKind.CARD),
            card_file(record, capsule, FileKind.WIDE_CARD),
            poster_file(record, capsule),
        ]
        if detected is not None:
            try:
                found.append(letter_file(record, capsule, detected))
            except InvalidValue as exc:
                log.warning("%s [%s]: no cocoon letter: %s", record.ref, capsule.language, exc)
        files[capsule.language] = tuple(found)
    return files


class CapsuleRenderer:
    """``FilesOf`` for the channels: looks up whether detection proposed the alert, then draws."""

    def __init__(self, detection_of: DetectionOf) -> None:
        self._detection_of = detection_of

    async def __call__(self, record: CapsuleRecord) -> CapsuleFiles:
        detected = await self._detection_of(record.alert_id)
        return await asyncio.to_thread(render_files, record, detected)
