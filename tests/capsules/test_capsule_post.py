"""The zone-room post of a published capsule carries its text, both cards, the poster, and the
cocoon letter only when detection proposed the alert; each upload encrypted, each message with
its own transaction ID (so a redelivered event posts nothing twice); what introduces the capsule
and its files is in the room's language. No homeserver: the client records what it uploads."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any, cast

import nio
import pytest
from PIL import Image

from bots.capsule_post import CapsulePosts
from phenomena.capsules.capsule import Capsule
from phenomena.capsules.service import CapsuleRecord, CapsuleState
from phenomena.detection.records import DetectionRecord
from phenomena.events import CapsulePublished
from phenomena.territory import TerritoryRegistry
from prevnet.capsule_files import CapsuleRenderer
from tests.capsules.alerts import capsule, detected

ROOM = "!zone5324:prevnet.test"
ZONES = {"zone:5324": ROOM, "zone:5339": "!zone5339:prevnet.test"}  # Mons; Brussels (nl, fr)


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
    territories: TerritoryRegistry,
    found: DetectionRecord | None,
    municipality: str = "53053",
    capsules: tuple[Capsule, ...] = (),
) -> tuple[list[tuple[str, dict[str, Any], str]], Uploads]:
    record = CapsuleRecord(
        id=3,
        alert_id=12,
        municipality=municipality,
        organisation="pcs-mons",
        author="@prevention.mons:prevnet.test",
        state=CapsuleState.PUBLISHED,
        capsules=capsules or (capsule("fr"),),
        approver="@analyste.mons:prevnet.test",
        published_at=datetime(2026, 11, 22, tzinfo=UTC),
    )
    posts: list[tuple[str, dict[str, Any], str]] = []

    async def post(room: str, content: dict[str, Any], tx_id: str) -> str:
        posts.append((room, content, tx_id))
        return f"$event{len(posts)}"

    async def room_id_of(key: str) -> str | None:
        return ZONES.get(key)

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
    await handler.handle(CapsulePublished(3, municipality))
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
    assert all(encrypted for _, _, encrypted in client.files.values())
    wide = Image.open(io.BytesIO(client.files["capsule-3-fr-wide.png"][1]))
    assert wide.size == (1200, 630)
    assert "1200x630" in posts[2][1]["body"]


async def test_the_post_in_a_french_zone_room_is_french(territories: TerritoryRegistry) -> None:
    posts, _ = await _posted(territories, detected(12))
    bodies = [content["body"] for _, content, _ in posts]
    assert bodies[0].startswith(
        "Capsule citoyenne C-3 pour Mons (A-12, approuvée par @analyste.mons:prevnet.test) [fr]"
    )
    assert "Fermez portes et fenêtres" in bodies[0]  # the capsule's own words, as drafted
    title = capsule("fr").title
    assert bodies[1:] == [
        f"{title} (carte illustrée)",
        f"{title} (carte illustrée 1200x630, pour les sites web et les aperçus de liens)",
        f"{title} (affiche A4)",
        f"{title} (lettre cocon pour les rues autour du regroupement)",
    ]


async def test_a_bilingual_zone_room_reads_each_capsule_introduced_in_its_language(
    territories: TerritoryRegistry,
) -> None:
    both = (capsule("nl", commune="Brussel"), capsule("fr", commune="Bruxelles"))
    posts, _ = await _posted(territories, None, municipality="21004", capsules=both)
    notices = [c["body"] for room, c, _ in posts if c["msgtype"] == "m.notice"]
    assert {room for room, _, _ in posts} == {ZONES["zone:5339"]}
    assert notices[0].startswith("Burgercapsule C-3 voor Brussel (A-12, goedgekeurd door")
    assert notices[1].startswith("Capsule citoyenne C-3 pour Bruxelles (A-12, approuvée par")
    assert " / " not in notices[0].split("\n")[0]  # one language a line, never two mixed
    posters = [c["body"] for _, c, _ in posts if c.get("filename", "").endswith("poster.pdf")]
    assert posters[0].endswith("(A4-affiche)") and posters[1].endswith("(affiche A4)")
