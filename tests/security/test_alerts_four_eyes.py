"""Finding 7: an author who is also a moderator approved their own alert. Four eyes now means
two people: never the author (by command or by reaction), and police publish without a
moderator only in their own territory and next door."""

from __future__ import annotations

import pytest

from bots.reactions import on_reaction
from phenomena.alert import AlertStatus, parse_ref
from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from tests.support.alert_desk import Desk, ref_in

ALERT = """!alert new
type: vandalism
area: {area}
from: 2026-11-14
tlp: amber
summary: Bus shelters smashed at night."""


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


async def submitted(desk: Desk, who: str, area: str) -> str:
    ref = ref_in(await desk.say(who, ALERT.format(area=area)))
    await desk.say(who, f"!alert publish {ref}")
    return ref


async def test_an_author_who_moderates_cannot_approve_their_own_alert(desk: Desk) -> None:
    # Oostende is far from Mons: the Mons analyst's alert there waits for a moderator
    ref = await submitted(desk, "analyste.mons", "Oostende")
    alert_id = parse_ref(ref)
    assert (await desk.alert(alert_id)).status is AlertStatus.PENDING_MODERATION
    own = await desk.say("analyste.mons", f"!approve {ref}")
    assert own is not None and "another moderator must approve it (four eyes)" in own.text
    assert (await desk.alert(alert_id)).status is AlertStatus.PENDING_MODERATION


async def test_nor_by_reacting_to_the_moderation_notice(desk: Desk) -> None:
    ref = await submitted(desk, "analyste.mons", "Oostende")
    alert_id = parse_ref(ref)
    await desk.deliver()
    notice = await desk.ledger.moderation_notice(alert_id)
    assert notice is not None
    author = await desk.member("analyste.mons")
    outcome = await on_reaction(desk.desk, author, "$own-tick", notice[1], "✅")
    assert outcome is not None and outcome.startswith("refused") and "four eyes" in outcome
    assert (await desk.alert(alert_id)).status is AlertStatus.PENDING_MODERATION
    other = await desk.member("analist.oostende")
    assert await on_reaction(desk.desk, other, "$tick", notice[1], "✅") == "approved"
    assert (await desk.alert(alert_id)).status is AlertStatus.PUBLISHED


@pytest.mark.parametrize(
    ("area", "alone"),
    [("Mons", True), ("Quévy", True), ("Frameries", True), ("Oostende", False)],
)
async def test_police_publish_alone_only_at_home_and_next_door(
    desk: Desk, area: str, alone: bool
) -> None:
    # Frameries is zone Boraine's, bordering Mons: next door
    ref = await submitted(desk, "inspecteur.mons", area)
    status = (await desk.alert(parse_ref(ref))).status
    assert status is (AlertStatus.PUBLISHED if alone else AlertStatus.PENDING_MODERATION)
