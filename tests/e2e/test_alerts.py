"""Alerts in chat, end to end: authoring, routing, moderation, updates, reach, closing, expiry.

Drafts and what the author is told arrive in the author's direct chat with the bot (the bot
opens it; the person accepts the invitation); the room where a draft was typed reads a pointer.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import nio
import pytest

from bots.synapse_admin import SynapseAdmin
from prevnet.seams import HOLD_BULLETINS_AFTER
from tests.support.people import Person
from tests.support.up import SERVER, DemoTemplate, Running, alive, children_of, start, started

ALERT = """!alert new
type: residential-burglary
area: Mons, Quévy
from: 2026-11-14
to: 2026-12-20
tlp: amber
summary: Wave of burglaries in Hyon and Nimy, rear doors forced in daylight.
modus: Rear door forced with a screwdriver between 14:00 and 18:00.
advice: Lock rear doors and windows even when leaving for a short while."""


def notice(
    room: str, *words: str, besides: frozenset[str] = frozenset()
) -> Callable[[str, nio.Event], bool]:
    """A notice in ``room`` containing every word, other than the events in ``besides``."""

    def match(room_id: str, event: nio.Event) -> bool:
        return (
            room_id == room
            and isinstance(event, nio.RoomMessageNotice)
            and all(w in event.body for w in words)
            and event.event_id not in besides
        )

    return match


async def direct_chat(person: Person, within: float = 30.0) -> str:
    """The person's direct chat with the bot: the room it invited them to, joined."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for room_id, room in person.client.rooms.items():
            if set(room.users) == {person.client.user_id, f"@prevnet:{SERVER}"}:
                return str(room_id)
        for room_id in list(person.client.invited_rooms):
            joined = await person.client.join(room_id)
            assert isinstance(joined, nio.JoinResponse), joined
            await person.client.sync(timeout=0)
            return str(room_id)
        await person.client.sync(timeout=500)
    raise AssertionError(f"{person.client.user_id} got no direct chat with the bot")


async def draft_from(person: Person, room: str, text: str) -> tuple[str, nio.RoomMessageNotice]:
    """Type an alert in ``room``; its draft comes in the direct chat. (chat, draft notice)"""
    await person.say(room, text)
    pointer = await person.wait_for(notice(room, "Draft A-", "in our direct chat"))
    assert "this room saw the text you typed" in pointer.body
    chat = await direct_chat(person)
    draft = await person.wait_for(notice(chat, "Draft A-", "check it before it goes out"))
    assert isinstance(draft, nio.RoomMessageNotice)
    return chat, draft


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
    return [
        e
        for e in page["chunk"]
        if e["sender"] == f"@prevnet:{SERVER}"
        and e["type"] in ("m.room.message", "m.room.encrypted")
    ]


async def test_an_alert_typed_in_a_zone_room_reaches_the_routed_rooms_only(
    network: Running, cast: Cast
) -> None:
    officer = await cast.person("inspecteur.mons")
    frameries = await cast.person("prevention.frameries")
    ostend = await cast.person("preventie.oostende")
    zone_mons = await officer.room(f"#zone-5324:{SERVER}")
    zone_boraine = await frameries.room(f"#zone-5327:{SERVER}")
    zone_ostend = await ostend.room(f"#zone-5449:{SERVER}")

    chat, draft = await draft_from(officer, zone_mons, ALERT)
    ref = draft.body.split()[1].rstrip(":")
    assert "It will go to 2 room(s)" in draft.body and "zone:5327" in draft.body
    assert "police zone of Quévy (affected)" in draft.body
    assert "no room yet (no partner there)" in draft.body
    assert "Personal data found" not in draft.body

    await officer.say(zone_mons, f"!alert publish {ref}")
    await officer.wait_for(notice(chat, f"{ref} is published in 2 room(s)"))
    bulletin = await frameries.wait_for(
        notice(zone_boraine, "TLP:AMBER", ref, "Discutez dans ce fil")
    )
    assert "Cambriolage d'habitation" in bulletin.body
    assert "Période: du 14/11/2026 au 20/12/2026" in bulletin.body
    assert "Mons, Quévy" in bulletin.body
    assert "Rear door forced with a screwdriver" in bulletin.body
    await officer.wait_for(notice(zone_mons, "TLP:AMBER", ref, "Résumé"))

    # the far zone got nothing: not in its members' client, not on the server
    await ostend.client.sync(timeout=1000)
    assert not [
        e for r, e in ostend.received if r == zone_ostend and isinstance(e, nio.RoomMessageNotice)
    ]
    assert await bulletins_in(network, zone_ostend) == []
    stored = await bulletins_in(network, zone_boraine)
    assert stored and {e["type"] for e in stored} == {"m.room.encrypted"}

    # a routed partner lists and shows it; the far zone does not see it listed
    await frameries.say(zone_boraine, "!alert list")
    listing = await frameries.wait_for(notice(zone_boraine, "alert(s):"))
    assert f"{ref} TLP:AMBER residential-burglary in Mons, Quévy" in listing.body
    await ostend.say(zone_ostend, "!alert list")
    await ostend.wait_for(notice(zone_ostend, "No alerts to show."))
    await ostend.say(zone_ostend, f"!alert show {ref}")
    await ostend.wait_for(notice(zone_ostend, f"there is no alert {ref} you can see"))

    # the same works in a direct chat with the bot
    direct = await frameries.create_encrypted_room(f"@prevnet:{SERVER}", is_direct=True)
    for _ in range(100):
        await frameries.client.sync(timeout=200)
        room = frameries.client.rooms.get(direct)
        if room is not None and f"@prevnet:{SERVER}" in room.users:
            break
    await frameries.say(direct, f"!alert show {ref}")
    shown = await frameries.wait_for(notice(direct, "TLP:AMBER", ref, "Status: published"))
    assert "Wave of burglaries in Hyon and Nimy" in shown.body


async def test_moderation_update_reach_and_close(network: Running, cast: Cast) -> None:
    author = await cast.person("prevention.mons")  # a commune: moderated by default
    moderator = await cast.person("analyste.mons")
    quevy = await cast.person("prevention.quevy")
    zone = await author.room(f"#zone-5324:{SERVER}")
    moderation = await moderator.room(f"#moderation:{SERVER}")

    chat, draft = await draft_from(author, zone, ALERT.replace("Mons, Quévy", "Mons"))
    ref = draft.body.split()[1].rstrip(":")
    assert "A moderator will have to approve it" in draft.body
    await author.say(zone, f"!alert publish {ref}")
    await author.wait_for(notice(zone, f"{ref} is sent to the moderators"))
    pending = await moderator.wait_for(notice(moderation, ref, "Approve: react with ✅"))
    assert "Wave of burglaries" in pending.body  # AMBER: moderators may read it

    await moderator.react(moderation, pending.event_id, "✅")
    await author.wait_for(notice(chat, f"{ref} is published in"))
    bulletin = await quevy.wait_for(notice(zone, "TLP:AMBER", ref, "Discutez dans ce fil"))

    # Quévy's prevention service has seen it
    await quevy.react(zone, bulletin.event_id, "👀")
    await author.say(zone, f"!alert reach {ref}")
    reach = await author.wait_for(notice(zone, f"Reach of {ref}"))
    for _ in range(20):  # the reaction may arrive at the bot just after the command
        if "pcs-quevy]: seen" in reach.body:
            break
        await author.say(zone, f"!alert reach {ref}")
        reach = await author.wait_for(
            notice(zone, f"Reach of {ref}", besides=frozenset({reach.event_id}))
        )
    assert "[pcs-quevy]: seen (by @prevention.quevy:prevnet.localhost)" in reach.body
    assert "[zp-boraine]: delivered" in reach.body
    assert "[pz-oostende]" not in reach.body  # not routed

    await author.say(zone, f"!alert update {ref} summary: Now also in Jemappes.")
    await author.wait_for(notice(zone, f"{ref} is updated (summary)"))
    edited = await quevy.wait_for(notice(zone, "* ", "Now also in Jemappes", "MISE À JOUR"))
    assert edited.source["content"]["m.relates_to"] == {
        "rel_type": "m.replace",
        "event_id": bulletin.event_id,
    }
    note = await quevy.wait_for(notice(zone, "Mise à jour : résumé"))
    assert note.source["content"]["m.relates_to"]["rel_type"] == "m.thread"

    await author.say(zone, f"!alert close {ref} Suspects arrested")
    await quevy.wait_for(notice(zone, "* ", "[CLÔTURÉE]", ref))
    await quevy.wait_for(notice(zone, "Clôturée : Suspects arrested"))
    await author.say(zone, f"!alert close {ref}")
    await author.wait_for(notice(zone, f"{ref} is already closed"))


async def test_rejection_guided_entry_and_refusals(network: Running, cast: Cast) -> None:
    author = await cast.person("prevention.mons")
    moderator = await cast.person("analyste.mons")
    reader = await cast.person("prevention.quevy")  # member role only
    zone = await author.room(f"#zone-5324:{SERVER}")

    await author.say(zone, "!alert new")
    # the questions (the draft's text) go to the direct chat; the zone room gets a pointer
    await author.wait_for(notice(zone, "New alert: I ask you its questions in our direct chat"))
    chat = await direct_chat(author)
    # the guided entry speaks the language of the room it was started in (Mons: French)
    await author.wait_for(notice(chat, "Nouvelle alerte", "(1/9) type: un type de phénomène"))
    for answer, next_question in [
        ("burglary of sheds", "unknown phenomenon type"),
        ("vandalism", "(2/9) area:"),
        ("Mons, Atlantis", "unknown municipality 'Atlantis'"),
        ("Mons", "(3/9) from:"),
        ("2026-11-20", "(4/9) to:"),
        ("-", "(5/9) tlp:"),
        ("green", "(6/9) priority: urgent, normal ou info"),
        ("-", "(7/9) summary:"),
        ("Graffiti on bus shelters, call 0475 12 34 56.", "(8/9) modus: comment les auteurs"),
        ("-", "(9/9) advice:"),
    ]:
        await author.say(chat, answer)
        await author.wait_for(notice(chat, next_question))
    await author.say(chat, "Report graffiti to the commune.")
    draft = await author.wait_for(notice(chat, "Draft A-", "check it before it goes out"))
    ref = draft.body.split()[1].rstrip(":")
    assert "Personal data found" in draft.body and "phone number '0475 12 34 56'" in draft.body
    assert "province:50000" in draft.body  # GREEN reaches the province room

    await author.say(zone, f"!alert publish {ref}")
    moderation = await moderator.room(f"#moderation:{SERVER}")
    await moderator.wait_for(notice(moderation, ref))
    await moderator.say(moderation, f"!reject {ref} Remove the phone number, please.")
    await author.wait_for(notice(chat, f"{ref} was not published", "Remove the phone number"))

    await reader.say(zone, ALERT)
    refusal = await reader.wait_for(notice(zone, "needs the author role"))
    assert "ask an administrator" in refusal.body
    await author.say(zone, "!alert new\ntype: vandalism\narea: Mons\ntlp: purple")
    errors = await author.wait_for(notice(zone, "The alert is not valid; nothing was published"))
    assert "- line 4 (tlp): tlp: unknown TLP label 'purple'" in errors.body
    assert "- missing (from): 'from' is missing" in errors.body


@pytest.fixture
async def held_network(tmp_path: Path, demo_template: DemoTemplate) -> AsyncIterator[Running]:
    """``prevnet up --demo`` whose fan-outs stop after their first bulletin (``prevnet.seams``)."""
    held = {HOLD_BULLETINS_AFTER: "1"}
    async with started(tmp_path / "held", held, template=demo_template) as running:
        yield running


async def bulletin_counts(network: Running, rooms: list[str]) -> list[int]:
    """How many messages of the bot each room holds on the server."""
    return [len(await bulletins_in(network, room)) for room in rooms]


async def until_more(
    network: Running, rooms: list[str], before: list[int], within: float = 30.0
) -> list[int]:
    """Wait until the bot has posted in at least one of ``rooms``; how many it posted in each."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        now = await bulletin_counts(network, rooms)
        if now != before:
            return [n - b for n, b in zip(now, before, strict=True)]
        await asyncio.sleep(0.2)
    raise AssertionError(f"no bulletin reached {rooms} within {within} s")


async def test_killed_during_fan_out_then_restarted_one_bulletin_per_room(
    held_network: Running, tmp_path: Path
) -> None:
    network = held_network
    cast = Cast(network, tmp_path / "keys")
    try:
        await killed_and_restarted(network, cast)
    finally:
        await cast.close()


async def killed_and_restarted(network: Running, cast: Cast) -> None:
    officer = await cast.person("inspecteur.mons")  # in zone 5324 and the Hainaut room
    frameries = await cast.person("prevention.frameries")  # in zone 5327
    zone = await officer.room(f"#zone-5324:{SERVER}")
    hainaut = await officer.room(f"#province-50000:{SERVER}")
    boraine = await frameries.room(f"#zone-5327:{SERVER}")
    routed = [zone, hainaut, boraine]
    green = ALERT.replace("tlp: amber", "tlp: green")  # zone 5324, zone 5327 and Hainaut
    chat, draft = await draft_from(officer, zone, green)
    ref = draft.body.split()[1].rstrip(":")
    before = await bulletin_counts(network, routed)
    await officer.say(zone, f"!alert publish {ref}")
    # the process holds every bulletin after its first: killed with k of n out, 0 < k < n
    out = await until_more(network, routed, before)
    assert set(out) <= {0, 1}, out
    assert 0 < sum(out) < len(routed), out
    (homeserver_pid,) = children_of(network.process.pid)
    network.process.kill()  # SIGKILL: no clean-up of any kind
    await network.process.wait()
    for _ in range(100):  # the embedded homeserver must not outlive prevnet
        if not alive(homeserver_pid):
            break
        await asyncio.sleep(0.1)
    assert not alive(homeserver_pid), "Synapse outlived a killed prevnet"

    restarted = await start(network.data, int(network.url.rsplit(":", 1)[1]))
    try:
        # the author is told once every routed room has its bulletin: the fan-out is over
        told = await officer.wait_for(notice(chat, ref, "published in 3 room(s)"), within=60)
        assert told.body == f"{ref} is published in 3 room(s)."
        after = await bulletin_counts(restarted, routed)
        assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]
        readers = [(officer, zone), (officer, hainaut), (frameries, boraine)]
        for person, room in readers:
            await person.wait_for(notice(room, ref, "TLP:GREEN", "Discutez dans ce fil"), within=30)
            copies = [
                e
                for r, e in person.received
                if notice(room, ref, "TLP:GREEN", "Discutez dans ce fil")(r, e)
            ]
            assert len(copies) == 1, (room, [c.event_id for c in copies])
            assert not [
                e for r, e in person.received if r == room and isinstance(e, nio.MegolmEvent)
            ], "a bulletin could not be read"
    finally:
        restarted.process.send_signal(signal.SIGTERM)
        await restarted.process.wait()
