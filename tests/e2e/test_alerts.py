"""Alerts in chat, end to end: authoring, routing, moderation, updates, reach, closing, expiry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import nio
import pytest

from bots.synapse_admin import SynapseAdmin
from tests.support.people import Person
from tests.support.up import SERVER, Running

ALERT = """!alert new
type: residential-burglary
area: Mons, Quévy
from: 2026-11-14
to: 2026-12-20
tlp: amber
summary: Wave of burglaries in Hyon and Nimy, rear doors forced in daylight.
modus: Rear door forced with a screwdriver between 14:00 and 18:00.
advice: Lock rear doors and windows even when leaving for a short while."""


def notice(room: str, *words: str) -> Callable[[str, nio.Event], bool]:
    def match(room_id: str, event: nio.Event) -> bool:
        return (
            room_id == room
            and isinstance(event, nio.RoomMessageNotice)
            and all(w in event.body for w in words)
        )

    return match


class Cast:
    """The demo's people, logged in as they need."""

    def __init__(self, network: Running, keys: Path) -> None:
        self.network = network
        self.keys = keys
        self.people: list[Person] = []

    async def person(self, localpart: str) -> Person:
        user_id = f"@{localpart}:{SERVER}"
        person = Person(self.network.url, user_id, self.keys / localpart)
        await person.login(self.network.accounts()[user_id])
        self.people.append(person)
        return person

    async def close(self) -> None:
        for person in self.people:
            await person.close()


@pytest.fixture
async def cast(network: Running, tmp_path: Path) -> AsyncIterator[Cast]:
    people = Cast(network, tmp_path / "keys")
    try:
        yield people
    finally:
        await people.close()


async def bulletins_in(network: Running, room_id: str) -> list[dict[str, object]]:
    """The bot's messages in a room as the server stores them (never decrypted here)."""
    async with aiohttp.ClientSession() as http:
        synapse = SynapseAdmin(http, network.url, network.bot_token())
        page = await synapse.request(
            "GET", f"/_synapse/admin/v1/rooms/{room_id}/messages?dir=b&limit=200"
        )
    assert page is not None
    return [e for e in page["chunk"] if e["sender"] == f"@prevnet:{SERVER}"
            and e["type"] in ("m.room.message", "m.room.encrypted")]


async def test_an_alert_typed_in_a_zone_room_reaches_the_routed_rooms_only(
    network: Running, cast: Cast
) -> None:
    officer = await cast.person("inspecteur.mons")
    frameries = await cast.person("prevention.frameries")
    ostend = await cast.person("preventie.oostende")
    zone_mons = await officer.room(f"#zone-5324:{SERVER}")
    zone_boraine = await frameries.room(f"#zone-5327:{SERVER}")
    zone_ostend = await ostend.room(f"#zone-5449:{SERVER}")

    await officer.say(zone_mons, ALERT)
    draft = await officer.wait_for(notice(zone_mons, "Draft A-"))
    ref = draft.body.split()[1].rstrip(":")
    assert "It will go to" in draft.body and "zone:5327" in draft.body
    assert "police zone of Quévy (affected)" in draft.body
    assert "Personal data found" not in draft.body

    await officer.say(zone_mons, f"!alert publish {ref}")
    await officer.wait_for(notice(zone_mons, f"{ref} is published"))
    bulletin = await frameries.wait_for(notice(zone_boraine, "TLP:AMBER", ref))
    assert "Cambriolage d'habitation" in bulletin.body
    assert "Période: du 14/11/2026 au 20/12/2026" in bulletin.body
    assert "Mons, Quévy" in bulletin.body
    assert "Rear door forced with a screwdriver" in bulletin.body
    await officer.wait_for(notice(zone_mons, "TLP:AMBER", ref, "Résumé"))

    # the far zone got nothing: not in its members' client, not on the server
    await ostend.client.sync(timeout=1000)
    assert not [e for r, e in ostend.received if r == zone_ostend
                and isinstance(e, nio.RoomMessageNotice)]
    assert await bulletins_in(network, zone_ostend) == []
    stored = await bulletins_in(network, zone_boraine)
    assert stored and {e["type"] for e in stored} == {"m.room.encrypted"}
