"""Citizen capsules on a running ``prevnet up --demo``, as its wiring makes them: drafted in the
direct chat, approved by a second person, posted in the zone room, and served in the commune's
public Atom feed on the API port (read by feedparser)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import feedparser
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
    capsule = await prevention.wait_for(notice(chat, "Draft C-", f"of {alert}"))
    ref = capsule.body.split()[1]
    assert "https://www.mons.be/vivre-a-mons/prevention" in capsule.body
    assert (await feed(network)).entries == []  # a draft is nobody's to read

    moderator = await cast.person("analyste.mons")
    await moderator.say(zone, f"!capsule approve {ref}")
    await moderator.wait_for(notice(await direct_chat(moderator), f"{ref} is published"))
    await prevention.wait_for(notice(zone, f"Citizen capsule {ref}"))
    entries = (await feed(network)).entries
    assert [e.id.rpartition("#")[2] for e in entries] == [ref]
    assert entries[0].link == "https://www.mons.be/vivre-a-mons/prevention"
