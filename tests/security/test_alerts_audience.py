"""Finding 5: ``!alert show``, ``list`` and ``reach`` judged the person who asked, not the room
that reads the answer. An answer now goes into a room only if every reader of that room may
see it; otherwise to the asker's direct chat, with a pointer (and no content) in the room.
Unknown and unshared alerts get the same answer."""

from __future__ import annotations

import pytest

from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from tests.support.alert_desk import Desk, ref_in

SECRET = "Rear doors forced with a screwdriver in Hyon"
ALERT = f"""!alert new
type: residential-burglary
area: Mons
from: 2026-11-14
tlp: {{tlp}}
summary: {SECRET}."""


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


async def published(desk: Desk, tlp: str) -> str:
    ref = ref_in(await desk.say("inspecteur.mons", ALERT.format(tlp=tlp)))
    await desk.say("inspecteur.mons", f"!alert publish {ref}")
    await desk.deliver()
    return ref


async def test_amber_shown_in_toolbox_goes_to_the_askers_direct_chat(desk: Desk) -> None:
    ref = await published(desk, "amber")
    for command in (f"!alert show {ref}", "!alert list", f"!alert reach {ref}"):
        reply = await desk.say("analyste.mons", command, room="toolbox")
        assert reply is not None and reply.private, command
        assert "direct chat" in reply.pointer and SECRET not in reply.pointer
        assert ref not in reply.pointer
    shown = await desk.say("analyste.mons", f"!alert show {ref}", room="toolbox")
    assert shown is not None and SECRET in shown.text  # for the direct chat only
    # in a routed zone room every reader is entitled: the answer is posted there
    here = await desk.say("prevention.frameries", f"!alert show {ref}", room="zone:5327")
    assert here is not None and not here.private and SECRET in here.text


async def test_amber_in_a_room_shared_with_another_zone_is_not_posted_there(desk: Desk) -> None:
    ref = await published(desk, "amber")
    # the Hainaut room also holds the federal service, which AMBER was not routed to
    reply = await desk.say("prevention.frameries", f"!alert show {ref}", room="province:50000")
    assert reply is not None and reply.private and SECRET not in reply.pointer
    listing = await desk.say("prevention.frameries", "!alert list", room="province:50000")
    assert listing is not None and listing.private


@pytest.mark.parametrize("tlp", ["red", "amber+strict"])
async def test_red_is_shown_only_in_its_own_rooms(desk: Desk, tlp: str) -> None:
    ref = await published(desk, tlp)
    alert_id = int(ref.split("-")[1])
    own_room = f"alert:{alert_id}" if tlp == "red" else "zone:5324"
    shown = await desk.say("inspecteur.mons", f"!alert show {ref}", room=own_room)
    assert shown is not None and not shown.private and SECRET in shown.text
    # its author typing in #toolbox: to the author's direct chat; the room gets a pointer
    author = await desk.say("inspecteur.mons", f"!alert show {ref}", room="toolbox")
    assert author is not None and author.private and SECRET not in author.pointer
    # a moderator of the zone in #moderation: nowhere but its own room
    moderator = await desk.say("analyste.mons", f"!alert show {ref}", room="moderation")
    assert moderator is not None and not moderator.private
    assert SECRET not in moderator.text and "shown only in its own room" in moderator.text
    colleague = await desk.say("analyste.mons", f"!alert show {ref}")  # a direct chat
    assert colleague is not None and SECRET not in colleague.text
    assert "shown only in its own room" in colleague.text


async def test_no_existence_oracle(desk: Desk) -> None:
    ref = await published(desk, "red")
    for command in ("show", "reach", "update {ref} summary: x", "close {ref}"):
        shared = await desk.say(
            "analist.oostende", f"!alert {command.format(ref=ref)} {ref}", room="zone:5449"
        )
        missing = await desk.say(
            "analist.oostende", f"!alert {command.format(ref='A-999')} A-999", room="zone:5449"
        )
        assert shared is not None and missing is not None
        assert shared.text.replace(ref, "A-999") == missing.text, command
        assert "there is no alert" in shared.text
    listing = await desk.say("analist.oostende", "!alert list all", room="zone:5449")
    assert listing is not None and ref not in listing.text


DECISIONS = (
    "!alert publish {ref}",
    "!alert cancel {ref}",
    "!approve {ref}",
    "!reject {ref} not ours",
    "!alert update {ref} summary: x",
    "!alert close {ref} done",
)


@pytest.mark.parametrize("actor", ["analyste.boraine", "analist.oostende"])
async def test_no_existence_oracle_for_changes_and_decisions(desk: Desk, actor: str) -> None:
    # someone else's RED alert at each stage: a draft, one waiting for a moderator, one out
    draft = ref_in(await desk.say("prevention.mons", ALERT.format(tlp="red")))
    pending = ref_in(await desk.say("prevention.mons", ALERT.format(tlp="red")))
    await desk.say("prevention.mons", f"!alert publish {pending}")
    out = await published(desk, "red")
    for command in DECISIONS:
        missing = await desk.say(actor, command.format(ref="A-999"), room="zone:5449")
        assert missing is not None, command
        if actor == "analist.oostende":  # a moderator and author: past every role check
            assert "there is no alert A-999" in missing.text, command
        for ref in (draft, pending, out):
            shared = await desk.say(actor, command.format(ref=ref), room="zone:5449")
            assert shared is not None, (command, ref)
            assert shared.text.replace(ref, "A-999") == missing.text, (command, ref)
    assert [p for p in await desk.deliver() if SECRET in p.body and "5449" in p.room] == []


@pytest.mark.parametrize("tlp", ["red", "amber"])
async def test_the_askers_own_direct_chat_is_their_direct_chat(desk: Desk, tlp: str) -> None:
    # the harness keys a direct chat ``dm:<matrix id>``, as bots.network does in production
    ref = await published(desk, tlp)
    for command in (f"!alert show {ref}", "!alert list mine"):
        reply = await desk.say("inspecteur.mons", command)
        assert reply is not None and not reply.private, command  # no pointer in the chat itself
        assert ref in reply.text
    shown = await desk.say("inspecteur.mons", f"!alert show {ref}")
    assert shown is not None and SECRET in shown.text
