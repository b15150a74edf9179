"""A moderator rewrote a pending RED alert as CLEAR for more municipalities and approved their
own rewrite: four eyes with two of them the same. Whoever revised a pending alert may not
approve it, and a moderator widens a pending alert only for their own organisation."""

from __future__ import annotations

import pytest

from phenomena.alert import AlertStatus, parse_ref
from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from tests.support.alert_desk import Desk, ref_in

SECRET = "Suspect Jean Dupont, rue des Fripiers 12"
ALERT = f"""!alert new
type: residential-burglary
area: {{area}}
from: 2026-11-14
tlp: {{tlp}}
summary: {SECRET}."""


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


async def pending(desk: Desk, who: str, area: str, tlp: str) -> str:
    ref = ref_in(await desk.say(who, ALERT.format(area=area, tlp=tlp)))
    await desk.say(who, f"!alert publish {ref}")
    assert (await desk.alert(parse_ref(ref))).status is AlertStatus.PENDING_MODERATION
    await desk.deliver()
    return ref


async def test_a_moderator_of_another_organisation_cannot_widen_a_pending_alert(
    desk: Desk,
) -> None:
    # the commune's RED alert waits for a moderator; the police moderator rewrites it
    ref = await pending(desk, "prevention.mons", "Mons", "red")
    alert_id = parse_ref(ref)
    reply = await desk.say("analyste.mons", f"!alert update {ref} tlp: clear\narea: Mons, Oostende")
    assert reply is not None and "widen" in reply.text and "its organisation" in reply.text
    alert = await desk.alert(alert_id)
    assert alert.content.tlp is Tlp.RED and alert.content.municipalities == ("53053",)
    approved = await desk.say("analyste.mons", f"!approve {ref}")
    assert approved is not None and "is approved" in approved.text  # the RED text, as written
    after = await desk.alert(alert_id)
    assert after.status is AlertStatus.PUBLISHED and after.content.tlp is Tlp.RED
    sent = await desk.deliver()
    assert {p.room for p in sent if SECRET in p.body} == {f"!alert:{alert_id}"}


async def test_whoever_revised_a_pending_alert_cannot_approve_it(desk: Desk) -> None:
    ref = await pending(desk, "prevention.mons", "Mons", "red")
    alert_id = parse_ref(ref)
    # a narrowing edit (a typo) still works...
    typo = await desk.say("analyste.mons", f"!alert update {ref} summary: {SECRET}, Hyon.")
    assert typo is not None and "is edited (summary)" in typo.text
    # ...but its editor is no longer a second pair of eyes
    own = await desk.say("analyste.mons", f"!approve {ref}")
    assert own is not None and "you revised" in own.text and "four eyes" in own.text
    assert (await desk.alert(alert_id)).status is AlertStatus.PENDING_MODERATION
    # rejecting it narrows nothing: its reviser may
    refused = await desk.say("analyste.mons", f"!reject {ref} wrong street")
    assert refused is not None and (await desk.alert(alert_id)).status is AlertStatus.REJECTED


async def test_a_widening_of_a_pending_alert_cannot_be_approved_by_its_proposer(
    desk: Desk,
) -> None:
    # a Mons police alert for Oostende (far from home) waits; a moderator of its own
    # organisation widens it, which still needs another moderator
    ref = await pending(desk, "inspecteur.mons", "Oostende", "amber")
    alert_id = parse_ref(ref)
    wider = await desk.say("analyste.mons", f"!alert update {ref} tlp: green\narea: Oostende, Mons")
    assert wider is not None and "is edited" in wider.text
    own = await desk.say("analyste.mons", f"!approve {ref}")
    assert own is not None and "four eyes" in own.text
    assert (await desk.alert(alert_id)).status is AlertStatus.PENDING_MODERATION
    other = await desk.say("analist.oostende", f"!approve {ref}")
    assert other is not None and "is approved" in other.text
    after = await desk.alert(alert_id)
    assert after.status is AlertStatus.PUBLISHED and after.content.tlp is Tlp.GREEN
    assert set(after.content.municipalities) == {"35013", "53053"}
