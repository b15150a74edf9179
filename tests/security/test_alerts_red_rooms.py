"""TLP:RED goes to a room of its own per alert, made with exactly its recipients (the police of
the affected zones, the author's organisation, and those named with ``recipients:``), never to
the zone rooms; it is closed when the alert closes (issue 15, "TLP as an enforced flow rule")."""

from __future__ import annotations

import pytest

from phenomena.alert import parse_ref
from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from tests.support.alert_desk import Desk, ref_in, user

SECRET = "Informant says the gang moves to Quaregnon on Friday"
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


async def test_red_goes_to_its_own_room_with_exactly_its_recipients(desk: Desk) -> None:
    draft = await desk.say("inspecteur.mons", RED + "\nrecipients: zp-boraine")
    assert draft is not None
    ref = ref_in(draft)
    key = f"alert:{parse_ref(ref)}"
    assert f"- {key}: a room of its own for TLP:RED" in draft.text
    assert "It will go to 1 room(s)" in draft.text
    await desk.say("inspecteur.mons", f"!alert publish {ref}")
    sent = await desk.deliver()
    assert {p.room for p in sent if SECRET in p.body} == {f"!{key}"}
    assert not [p for p in sent if p.room.startswith("!zone:")]
    assert desk.rooms.members[key] == {
        user("analyste.mons"),
        user("inspecteur.mons"),
        user("analyste.boraine"),
    }
    await desk.say("inspecteur.mons", f"!alert close {ref} arrests")
    await desk.deliver()
    assert desk.rooms.closed[key].endswith("(closed)")
    assert "Informant" not in desk.rooms.closed[key]  # room names are not encrypted


async def test_unknown_recipients_are_refused_with_the_list_to_see_them(desk: Desk) -> None:
    reply = await desk.say("inspecteur.mons", RED + "\nempfänger: zp-nowhere")
    assert reply is not None and "no organisation 'zp-nowhere'" in reply.text
    assert "!alert recipients" in reply.text
    listing = await desk.say("inspecteur.mons", "!alert recipients")
    assert listing is not None and "- zp-boraine: Zone de police Boraine" in listing.text


async def test_nobody_joins_later_and_a_member_of_another_zone_is_not_in_it(desk: Desk) -> None:
    ref = ref_in(await desk.say("inspecteur.mons", RED))
    await desk.say("inspecteur.mons", f"!alert publish {ref}")
    await desk.deliver()
    key = f"alert:{parse_ref(ref)}"
    assert user("analist.oostende") not in desk.rooms.members[key]
    assert user("prevention.mons") not in desk.rooms.members[key]  # not police: not by default
    # an update edits the bulletin in its room and reaches no other room
    await desk.say("inspecteur.mons", f"!alert update {ref} summary: {SECRET}, confirmed.")
    sent = await desk.deliver()
    assert sent and {p.room for p in sent if SECRET in p.body} == {f"!{key}"}


async def test_a_red_alert_reaches_no_new_organisation_afterwards(desk: Desk) -> None:
    ref = ref_in(await desk.say("inspecteur.mons", RED))
    await desk.say("inspecteur.mons", f"!alert publish {ref}")
    await desk.deliver()
    for change in ("recipients: pz-oostende", "area: Mons, Oostende"):
        reply = await desk.say("inspecteur.mons", f"!alert update {ref} {change}")
        assert reply is not None and "nobody joins it later" in reply.text, change
        assert "pz-oostende" in reply.text
    alert = await desk.alert(parse_ref(ref))
    assert alert.proposed is None and "pz-oostende" not in alert.recipients
    assert await desk.deliver() == []
