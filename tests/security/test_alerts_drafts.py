"""Finding 6: drafts were posted, with their routing and personal-data findings, in the shared
room where the author typed them. They now go to the author's direct chat; the room gets a
pointer saying it saw the command's text; the moderation notice of a RED alert goes in full to
the direct chats of the moderators who may read it, never to #moderation.

Also finding 15: numbers are not given again after a cancelled draft; the draft counts only
rooms that exist; closing a closed alert says so; ``!alert list mine`` shows one's drafts."""

from __future__ import annotations

import pytest

from phenomena.alert import parse_ref
from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from tests.support.alert_desk import Desk, direct, ref_in, user

SECRET = "call Jean on 0475 12 34 56 about the van"
ALERT = f"""!alert new
type: residential-burglary
area: Mons
from: 2026-11-14
tlp: {{tlp}}
summary: Burglaries in Hyon, {SECRET}."""


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


async def test_a_draft_typed_in_a_shared_room_goes_to_the_direct_chat(desk: Desk) -> None:
    draft = await desk.say("inspecteur.mons", ALERT.format(tlp="amber"), room="zone:5324")
    assert draft is not None and draft.private
    assert "Draft A-" in draft.text and "Personal data found" in draft.text
    assert "It will go to" in draft.text
    # the room reads only the pointer: no routing, no findings, and a word about what it saw
    assert "this room saw the text you typed" in draft.pointer
    for word in ("It will go to", "Personal data", "zone:5327", "0475"):
        assert word not in draft.pointer
    ref = ref_in(draft)
    dropped = await desk.say("inspecteur.mons", f"!alert cancel {ref}", room="zone:5324")
    assert dropped is not None and "nobody else saw it" not in dropped.text
    assert "shared room, whose members saw its text" in dropped.text


async def test_a_draft_typed_in_the_direct_chat_is_seen_by_nobody_else(desk: Desk) -> None:
    draft = await desk.say("inspecteur.mons", ALERT.format(tlp="amber"))
    assert draft is not None and not draft.private and "Draft A-" in draft.text
    dropped = await desk.say("inspecteur.mons", f"!alert cancel {ref_in(draft)}")
    assert dropped is not None and dropped.text.endswith("nobody else saw it.")
    assert await desk.deliver() == []


async def test_the_red_moderation_notice_goes_to_its_moderators_direct_chats(desk: Desk) -> None:
    # a commune's RED alert waits for a moderator who may read it
    ref = ref_in(await desk.say("prevention.mons", ALERT.format(tlp="red")))
    await desk.say("prevention.mons", f"!alert publish {ref}")
    sent = await desk.deliver()
    full = {p.room for p in sent if SECRET in p.body}
    # the recipients are pcs-mons and the Mons police: its moderator is analyste.mons
    assert full == {direct(user("analyste.mons"))}
    moderation = [p for p in sent if p.room == "!moderation"]
    assert moderation and all(SECRET not in p.body and "Hyon" not in p.body for p in moderation)
    assert all(ref in p.body for p in moderation)
    for outsider in ("analist.oostende", "admin"):
        assert direct(user(outsider)) not in {p.room for p in sent}
        refused = await desk.say(outsider, f"!approve {ref}")
        assert refused is not None and f"there is no alert {ref} you can see" in refused.text
    approved = await desk.say("analyste.mons", f"!approve {ref}")
    assert approved is not None and "approved" in approved.text


async def test_numbers_are_not_given_again_after_a_cancelled_draft(desk: Desk) -> None:
    first = ref_in(await desk.say("inspecteur.mons", ALERT.format(tlp="amber")))
    await desk.say("inspecteur.mons", f"!alert cancel {first}")
    second = ref_in(await desk.say("inspecteur.mons", ALERT.format(tlp="amber")))
    assert parse_ref(second) == parse_ref(first) + 1
    cancelled = await desk.alert(parse_ref(first))
    assert SECRET not in cancelled.content.summary  # the dropped text is wiped
    shown = await desk.say("inspecteur.mons", f"!alert show {first}")
    assert shown is not None and f"there is no alert {first} you can see" in shown.text


async def test_the_draft_counts_only_rooms_that_exist(desk: Desk) -> None:
    draft = await desk.say("inspecteur.mons", ALERT.format(tlp="amber"))
    assert draft is not None
    # AMBER in Mons: zone 5324 and its neighbours' zones; the demo has partners in 5324, 5327
    assert "It will go to 2 room(s):" in draft.text
    assert "no room yet (no partner there)" in draft.text
    await desk.say("inspecteur.mons", f"!alert publish {ref_in(draft)}")
    sent = await desk.deliver()
    assert any("is published in 2 room(s)" in p.body for p in sent)


async def test_closing_a_closed_alert_says_it_is_closed(desk: Desk) -> None:
    ref = ref_in(await desk.say("inspecteur.mons", ALERT.format(tlp="amber")))
    await desk.say("inspecteur.mons", f"!alert publish {ref}")
    await desk.say("inspecteur.mons", f"!alert close {ref} arrests")
    again = await desk.say("inspecteur.mons", f"!alert close {ref}")
    assert again is not None and again.text == f"{ref} is already closed"


async def test_list_mine_shows_my_drafts(desk: Desk) -> None:
    ref = ref_in(await desk.say("inspecteur.mons", ALERT.format(tlp="amber")))
    mine = await desk.say("inspecteur.mons", "!alert list mine")
    assert mine is not None and f"{ref} TLP:AMBER" in mine.text and "(draft," in mine.text
    shared = await desk.say("inspecteur.mons", "!alert list mine", room="zone:5324")
    assert shared is not None and shared.private and ref not in shared.pointer


async def test_an_edit_of_a_pending_red_alert_does_not_reach_moderation(desk: Desk) -> None:
    ref = ref_in(await desk.say("prevention.mons", ALERT.format(tlp="red")))
    await desk.say("prevention.mons", f"!alert publish {ref}")
    await desk.deliver()
    edit = "the van was seen again in Nimy"
    reply = await desk.say("analyste.mons", f"!alert update {ref} summary: Hyon, {edit}.")
    assert reply is not None and "is edited (summary)" in reply.text
    sent = await desk.deliver()
    assert {p.room for p in sent if edit in p.body} == {direct(user("analyste.mons"))}
    assert [p for p in sent if p.room == "!moderation"]  # the pointer, edited in place


async def test_the_guided_entry_asks_its_questions_in_the_direct_chat(desk: Desk) -> None:
    start = await desk.say("inspecteur.mons", "!alert new", room="zone:5324")
    assert start is not None and start.private and "(1/9) type:" in start.text
    assert "direct chat" in start.pointer and "type:" not in start.pointer
    # an answer typed in the zone room is not taken (nor answered there)
    assert await desk.say("inspecteur.mons", "residential-burglary", room="zone:5324") is None
    answers = ["residential-burglary", "Mons", "2026-11-14", "-", "amber", "-", f"Hyon, {SECRET}."]
    for answer in answers:  # in the direct chat, where the questions were asked
        question = await desk.say("inspecteur.mons", answer)
        assert question is not None and not question.private, answer
    await desk.say("inspecteur.mons", "-")
    draft = await desk.say("inspecteur.mons", "-")
    assert draft is not None and not draft.private and "Draft A-" in draft.text
    alert = await desk.alert(parse_ref(ref_in(draft)))
    assert alert.origin_room is None and SECRET in alert.content.summary
    dropped = await desk.say("inspecteur.mons", f"!alert cancel {alert.ref}")
    assert dropped is not None and dropped.text.endswith("nobody else saw it.")
