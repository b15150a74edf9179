"""Finding 4: a moderator of another zone exposed a Mons RED alert with ``tlp: green`` then
``area: Oostende``. Widening now needs the alert's organisation and a second person (a
moderator who is neither its author nor its proposer), and a moderator of another zone may not
change another zone's alert at all."""

from __future__ import annotations

import pytest

from phenomena.alert import AlertStatus, parse_ref
from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from tests.support.alert_desk import Desk, direct, ref_in, user

SECRET = "Safe-crackers working Hyon at night, van without plates"
RED = f"""!alert new
type: residential-burglary
area: Mons
from: 2026-11-14
tlp: red
summary: {SECRET}."""


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


async def published_red(desk: Desk, text: str = RED) -> str:
    ref = ref_in(await desk.say("inspecteur.mons", text))
    assert await desk.say("inspecteur.mons", f"!alert publish {ref}") is None  # at home: at once
    await desk.deliver()
    assert (await desk.alert(parse_ref(ref))).status is AlertStatus.PUBLISHED
    return ref


async def test_a_moderator_of_another_zone_cannot_lower_or_move_a_red_alert(desk: Desk) -> None:
    ref = await published_red(desk)
    unknown = await desk.say("analist.oostende", "!alert show A-999", room="zone:5449")
    assert unknown is not None
    for change in ("tlp: green", "area: Oostende"):
        reply = await desk.say("analist.oostende", f"!alert update {ref} {change}", "zone:5449")
        assert reply is not None
        # the same answer as for an alert that does not exist: not even its existence leaks
        assert reply.text == f"there is no alert {ref} you can see; !alert list shows yours"
        assert unknown.text.replace("A-999", ref) == reply.text
    assert await desk.deliver() == []  # no room got anything
    alert = await desk.alert(parse_ref(ref))
    assert alert.content.tlp is Tlp.RED and alert.content.municipalities == ("53053",)
    assert alert.proposed is None and alert.version == 1
    assert alert.rooms == (f"alert:{alert.id}",)
    carried = [p for p in desk.posted if SECRET in p.body]
    assert carried and {p.room for p in carried} == {f"!alert:{alert.id}"}


async def test_a_moderator_of_another_zone_cannot_edit_an_amber_alert_either(desk: Desk) -> None:
    ref = await published_red(desk, RED.replace("tlp: red", "tlp: amber"))
    reply = await desk.say("analist.oostende", f"!alert update {ref} summary: Nothing happened.")
    assert reply is not None and "only its organisation's authors and the moderators" in reply.text
    assert (await desk.alert(parse_ref(ref))).content.summary.startswith(SECRET)
    assert await desk.deliver() == []


async def test_a_widening_waits_for_a_second_person(desk: Desk) -> None:
    ref = await published_red(desk)
    alert_id = parse_ref(ref)
    proposal = await desk.say("inspecteur.mons", f"!alert update {ref} tlp: amber")
    assert proposal is not None and "waits for a moderator other than you" in proposal.text
    sent = await desk.deliver()
    # nothing changed in any bulletin; the proposer is told it waits
    assert not [p for p in sent if p.room.startswith("!zone:") or "MISE À JOUR" in p.body]
    assert (await desk.alert(alert_id)).content.tlp is Tlp.RED
    # the far zone's moderator cannot approve what they may not read
    far = await desk.say("analist.oostende", f"!approve {ref}")
    assert far is not None and f"there is no alert {ref} you can see" in far.text
    # a second proposal, or an update on top, waits for the decision
    again = await desk.say("inspecteur.mons", f"!alert update {ref} summary: more")
    assert again is not None and "has a widening waiting" in again.text
    # a moderator of the zone, neither author nor proposer, approves: now it goes further
    approved = await desk.say("analyste.mons", f"!approve {ref}")
    assert approved is not None and f"The widening of {ref} is approved" in approved.text
    after = await desk.alert(alert_id)
    assert after.content.tlp is Tlp.AMBER and after.version == 2
    assert "zone:5327" in after.rooms
    sent = await desk.deliver()
    assert any(p.room == "!zone:5327" and SECRET in p.body for p in sent)


async def test_the_proposer_of_a_widening_cannot_approve_it(desk: Desk) -> None:
    ref = await published_red(desk)
    proposal = await desk.say("analyste.mons", f"!alert update {ref} area: Mons, Quévy")
    assert proposal is not None and "widens" in proposal.text and "area" in proposal.text
    own = await desk.say("analyste.mons", f"!approve {ref}")
    assert own is not None and "four eyes" in own.text
    assert (await desk.alert(parse_ref(ref))).content.municipalities == ("53053",)
    # withdrawing it widens nothing: its proposer may refuse it, and it stays as it was
    refused = await desk.say("analyste.mons", f"!reject {ref} not now")
    assert refused is not None and f"The widening of {ref} is refused" in refused.text
    assert (await desk.alert(parse_ref(ref))).proposed is None


async def test_only_the_alerts_organisation_may_propose_a_widening(desk: Desk) -> None:
    ref = await published_red(desk, RED.replace("tlp: red", "tlp: amber"))
    # a moderator of the commune (its territory covers Mons) may edit the text, not widen it
    reply = await desk.say("admin", f"!alert update {ref} tlp: green")
    assert reply is not None and "is for the authors of its organisation" in reply.text
    text = await desk.say("admin", f"!alert update {ref} advice: Lock the rear doors.")
    assert text is not None and "is updated (advice)" in text.text
    sent = await desk.deliver()
    assert any("Lock the rear doors" in p.body for p in sent)
    assert direct(user("admin")) not in {p.room for p in sent if SECRET in p.body}
