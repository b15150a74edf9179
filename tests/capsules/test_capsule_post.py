"""The zone-room post of a published capsule carries its text, both cards, the poster, and the
cocoon letter only when detection proposed the alert; each upload encrypted, each message with
its own transaction ID (so a redelivered event posts nothing twice). No homeserver: the client
records what it uploads."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any, cast

import nio
import pytest
from PIL import Image

from bots.capsule_post import CapsulePosts
from phenomena.capsules.service import CapsuleRecord, CapsuleState
from phenomena.detection.records import DetectionRecord
from phenomena.events import CapsulePublished
from phenomena.territory import TerritoryRegistry
from prevnet.capsule_files import CapsuleRenderer
from tests.capsules.alerts import capsule, detected

ROOM = "!zone5324:prevnet.test"


class Uploads:
    """Stands for nio's client: keeps each upload, answers as the media repository does."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes, bool]] = {}

    async def upload(
        self, data: io.BytesIO, content_type: str, filename: str, encrypt: bool, filesize: int
    ) -> tuple[nio.UploadResponse, dict[str, Any]]:
        self.files[filename] = (content_type, data.read(), encrypt)
        keys = {"key": {"k": "..."}, "iv": "...", "hashes": {"sha256": "..."}, "v": "v2"}
        return nio.UploadResponse(f"mxc://prevnet.test/{filename}"), keys


async def _posted(
    territories: TerritoryRegistry, found: DetectionRecord | None
) -> tuple[list[tuple[str, dict[str, Any], str]], Uploads]:
    record = CapsuleRecord(
        id=3,
        alert_id=12,
        municipality="53053",
        organisation="pcs-mons",
        author="@prevention.mons:prevnet.test",
        state=CapsuleState.PUBLISHED,
        capsules=(capsule("fr"),),
        approver="@analyste.mons:prevnet.test",
        published_at=datetime(2026, 11, 22, tzinfo=UTC),
    )
    posts: list[tuple[str, dict[str, Any], str]] = []

    async def post(room: str, content: dict[str, Any], tx_id: str) -> str:
        posts.append((room, content, tx_id))
        return f"$event{len(posts)}"

    async def room_id_of(key: str) -> str | None:
        return ROOM if key == "zone:5324" else None

    async def capsule_of(capsule_id: int) -> CapsuleRecord | None:
        return record if capsule_id == 3 else None

    async def detection_of(alert_id: int) -> DetectionRecord | None:
        return found if found is not None and found.alert_id == alert_id else None

    client = Uploads()
    handler = CapsulePosts(
        cast(nio.AsyncClient, client),
        post,
        room_id_of,
        capsule_of,
        territories,
        CapsuleRenderer(detection_of),
    )
    await handler.handle(CapsulePublished(3, "53053"))
    return posts, client


@pytest.mark.parametrize("proposed", [False, True])
async def test_the_zone_room_gets_the_text_both_cards_the_poster_and_the_letter_if_detected(
    territories: TerritoryRegistry, proposed: bool
) -> None:
    posts, client = await _posted(territories, detected(12) if proposed else None)
    assert all(room == ROOM for room, _, _ in posts)
    kinds = [(c["msgtype"], c.get("filename")) for _, c, _ in posts]
    expected = [
        ("m.notice", None),
        ("m.image", "capsule-3-fr.png"),
        ("m.image", "capsule-3-fr-wide.png"),
        ("m.file", "capsule-3-fr-poster.pdf"),
    ]
    if proposed:
        expected.append(("m.file", "capsule-3-fr-letter.pdf"))
    assert kinds == expected
    assert len({tx for _, _, tx in posts}) == len(posts)  # one transaction ID each
    assert "Citizen capsule C-3" in posts[0][1]["body"]
    assert all(encrypted for _, _, encrypted in client.files.values())
    wide = Image.open(io.BytesIO(client.files["capsule-3-fr-wide.png"][1]))
    assert wide.size == (1200, 630)
    assert "1200x630" in posts[2][1]["body"]
