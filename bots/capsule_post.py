"""A published capsule in its commune's zone room: the text, both image cards (square for
chats and feeds, 1200x630 for websites), the printable poster, and the cocoon letter when
detection proposed the alert, uploaded encrypted (the zone rooms are end-to-end encrypted).

The lines around the capsule's own words (which capsule, which file) are said in the room's
language (``bots.capsule_words``). Each message has a transaction ID of the capsule, its
language and its part, so an event the outbox delivers again posts nothing twice. Pictures
and PDFs are rendered by the composition root (``prevnet.capsule_files``): the Matrix side
only carries them.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import nio

from bots.capsule_words import say
from bots.report_post import Post, encrypted_image
from phenomena.capsules.capsule import PUBLIC_TLPS, Capsule
from phenomena.capsules.files import CapsuleFile, FileKind, FilesOf
from phenomena.capsules.said import Said, says
from phenomena.capsules.service import CapsuleRecord
from phenomena.events import CapsulePublished, Event
from phenomena.rooms import room_languages
from phenomena.territory import TerritoryRegistry

log = logging.getLogger(__name__)

CapsuleOf = Callable[[int], Awaitable[CapsuleRecord | None]]


def capsule_text(record: CapsuleRecord, capsule: Capsule, languages: Sequence[str] = ()) -> str:
    """What partners read in the zone room: the capsule as residents will, and where it is."""
    header = says(
        "Citizen capsule {ref} for {commune} ({alert}, approved by {approver}) [{language}]",
        ref=record.ref,
        commune=capsule.commune,
        alert=capsule.alert_ref,
        approver=record.approver or "",
        language=capsule.language,
    )
    return "\n\n".join(
        [
            say(header_languages(capsule, languages), header),
            capsule.title,
            capsule.short,
            capsule.long,
            capsule.hashtags,
        ]
    )


def header_languages(capsule: Capsule, languages: Sequence[str]) -> Sequence[str]:
    """The room's languages for the lines around a capsule; just the capsule's own when the room
    speaks it, so a bilingual room reads each language's capsule introduced in that language."""
    return (capsule.language,) if capsule.language in languages else languages


def file_said(capsule: Capsule, file: CapsuleFile) -> Said:
    """What a posted file is, as a message (its ``description`` is the English of it)."""
    match file.kind:
        case FileKind.CARD:
            return says("{title} (image card)", title=capsule.title)
        case FileKind.WIDE_CARD:
            return says(
                "{title} (image card 1200x630, for websites and link previews)",
                title=capsule.title,
            )
        case FileKind.POSTER:
            return says("{title} (A4 poster)", title=capsule.title)
        case FileKind.LETTER:
            return says(
                "{title} (cocoon letter for the streets around the cluster)", title=capsule.title
            )


async def encrypted_file(
    client: nio.AsyncClient, data: bytes, name: str, mimetype: str, body: str
) -> dict[str, Any]:
    """Upload a file encrypted and return the ``m.file`` content that carries its key."""
    response, keys = await client.upload(
        io.BytesIO(data), content_type=mimetype, filename=name, encrypt=True, filesize=len(data)
    )
    if not isinstance(response, nio.UploadResponse) or not keys:
        raise ConnectionError(f"could not upload {name}: {response}")
    return {
        "msgtype": "m.file",
        "body": body,
        "filename": name,
        "info": {"mimetype": mimetype, "size": len(data)},
        "file": {"url": response.content_uri, "mimetype": mimetype, **keys},
    }


class CapsulePosts:
    """Outbox handler of :class:`CapsulePublished` (subscription ``matrix-capsules``)."""

    def __init__(
        self,
        client: nio.AsyncClient,
        post: Post,
        room_id_of: Callable[[str], Awaitable[str | None]],
        capsule_of: CapsuleOf,
        territories: TerritoryRegistry,
        files: FilesOf,
    ) -> None:
        self._client = client
        self._post = post
        self._room_id_of = room_id_of
        self._capsule_of = capsule_of
        self._territories = territories
        self._files = files

    async def handle(self, event: Event) -> None:
        """Post each language's capsule and its files in the commune's zone room, once."""
        if not isinstance(event, CapsulePublished):
            return
        record = await self._capsule_of(event.capsule_id)
        if record is None:
            return
        zone = self._territories.municipalities[record.municipality].zone_key
        room = await self._room_id_of(f"zone:{zone}")
        if room is None:
            log.warning("%s: zone %s has no room (no partner there); not posted", record.ref, zone)
            return
        if any(c.tlp not in PUBLIC_TLPS for c in record.capsules):
            log.warning("%s: its alert is no longer CLEAR or GREEN; not posted", record.ref)
            return
        files = await self._files(record)
        languages = room_languages(f"zone:{zone}", self._territories)
        for capsule in record.capsules:
            tx = f"prevnet-capsule-{record.id}-{capsule.language}"
            text = capsule_text(record, capsule, languages)
            await self._post(room, {"msgtype": "m.notice", "body": text}, tx_id=tx)
            for file in files.get(capsule.language, ()):
                body = say(header_languages(capsule, languages), file_said(capsule, file))
                content = await file_content(self._client, file, body)
                await self._post(room, content, tx_id=f"{tx}-{file.kind.name.lower()}")


async def file_content(
    client: nio.AsyncClient, file: CapsuleFile, body: str | None = None
) -> dict[str, Any]:
    """Upload one capsule file encrypted: the ``m.image`` or ``m.file`` content to post, whose
    text is ``body`` (the file's English description without one)."""
    text = file.description if body is None else body
    if file.is_image:
        return await encrypted_image(client, file.data, file.name, text)
    return await encrypted_file(client, file.data, file.name, file.mimetype, text)
