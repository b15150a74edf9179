"""Citizen capsules on a running ``prevnet up --demo``, as its wiring makes them: drafted in the
direct chat (in the French zone room's language), approved by a second person, posted in the
zone room with both cards, and served in the commune's public Atom feed on the API port (read
by feedparser)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import feedparser
import nio
import pytest

from tests.e2e.test_alerts import Cast, direct_chat, notice
from tests.support.up import SERVER, Running

__all__ = ["cast"]

GREEN = """!alert new
type: residential-burglary
area: Mons
from: 2026-11-14
tlp: green
summary: Burglaries in the evening in Hyon, rear windows forced.
advice: Fermez portes et fenêtres à clé, même pour une courte absence."""


@pytest.fixture
async def cast(network: Running, tmp_path: Path) -> AsyncIterator[Cast]:
    people = Cast(network, tmp_path / "keys")
    try:
        yield people
    finally:
        await people.close()


def wide_card(room: str) -> Callable[[str, nio.Event], bool]:
    """The capsule's wide card (1200x630), posted encrypted in ``room``."""

    def match(room_id: str, event: nio.Event) -> bool:
        return (
            room_id == room
            and isinstance(event, nio.RoomEncryptedImage)
            and "1200x630" in event.body
        )

    return match


async def feed(network: Running) -> feedparser.FeedParserDict:
    url = f"http://127.0.0.1:{network.api_port}/capsules/53053/fr.atom"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        parsed = feedparser.parse(await response.read())
    assert parsed.bozo is False, parsed.get("bozo_exception")
    return parsed


async def test_a_capsule_is_drafted_approved_posted_and_in_the_feed(
    network: Running, cast: Cast
) -> None:
    assert (await feed(network)).entries == []
    officer = await cast.person("inspecteur.mons")
    zone = await officer.room(f"#zone-5324:{SERVER}")
    await officer.say(zone, GREEN)
    officer_chat = await direct_chat(officer)
    draft = await officer.wait_for(notice(officer_chat, "Draft A-"))
    alert = draft.body.split()[1].rstrip(":")
    await officer.say(officer_chat, f"!alert publish {alert}")
    await officer.wait_for(notice(officer_chat, f"{alert} is published in"))

    prevention = await cast.person("prevention.mons")
    await prevention.say(zone, f"!capsule {alert}")
    chat = await direct_chat(prevention)
    capsule = await prevention.wait_for(notice(chat, "Brouillon C-", f"de {alert}"))  # French
    ref = capsule.body.split()[1]
    assert "https://www.mons.be/vivre-a-mons/prevention" in capsule.body
    assert (await feed(network)).entries == []  # a draft is nobody's to read

    moderator = await cast.person("analyste.mons")
    await moderator.say(zone, f"!capsule approve {ref}")
    await moderator.wait_for(notice(await direct_chat(moderator), f"{ref} est publiée"))
    await prevention.wait_for(notice(zone, f"Capsule citoyenne {ref}"))
    await prevention.wait_for(wide_card(zone))  # after the square one: the 1200x630 card
    entries = (await feed(network)).entries
    assert [e.id.rpartition("#")[2] for e in entries] == [ref]
    assert entries[0].link == "https://www.mons.be/vivre-a-mons/prevention"
    cards = [k.href for k in entries[0].links if k.rel == "enclosure"]
    assert [c.rpartition("/")[2] for c in cards] == [f"{ref}-fr.png", f"{ref}-fr-wide.png"]
