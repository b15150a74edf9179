"""Escalation against the network's own members: a RED alert's escalation carries none of its
text, goes only into its own room and only to its recipients (chat and mail), and an
acknowledgement by an organisation the alert was not routed to stops nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from phenomena.escalation import ACK, FIRED
from phenomena.storage.database import Database
from phenomena.storage.schema import MemberRow
from phenomena.territory import TerritoryRegistry
from tests.mail.smtp_relay import Relay, relay
from tests.mail.support import plain
from tests.support.alert_desk import Desk, user
from tests.support.escalation import Escalations, green, publish

__all__ = ["relay"]
SECRET = "Informant names the Quaregnon garage as the fence"


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


async def give_address(db: Database, localpart: str, address: str) -> None:
    async with db.sessions() as session, session.begin():
        await session.execute(
            update(MemberRow).where(MemberRow.matrix_id == user(localpart)).values(email=address)
        )


async def test_a_red_alerts_escalation_never_carries_its_text_beyond_its_recipients(
    desk: Desk, relay: Relay
) -> None:
    escalations = Escalations(desk, email=relay.settings())
    start = desk.clock()
    alert_id = await publish(desk, "inspecteur.mons", green(SECRET, tlp="red"))
    alert = await desk.alert(alert_id)
    assert alert.rooms == (f"alert:{alert_id}",)
    # on duty for the zone: a recipient (the zone's police) and a commune's service (not one)
    await escalations.on_duty("analyste.mons", "zone", "5324")
    await escalations.on_duty("prevention.quevy", "zone", "5324")
    await give_address(desk.db, "analyste.mons", "claire@police.example")
    await give_address(desk.db, "prevention.quevy", "sophie@quevy.example")

    said = await escalations.round(start + timedelta(minutes=61))
    assert [s.room for s in said] == [f"!alert:{alert_id}"]
    assert said[0].mentions == [user("analyste.mons")]
    everything_said = "".join(str(s.content) for s in said)
    assert "Quaregnon" not in everything_said and "Informant" not in everything_said
    assert "prevention.quevy" not in everything_said

    [mail] = relay.inbox.to("claire@police.example")
    assert "TLP:RED" in plain(mail) and f"A-{alert_id}" in str(mail["Subject"])
    assert "Quaregnon" not in mail.as_string() and "Informant" not in mail.as_string()
    assert relay.inbox.to("sophie@quevy.example") == []  # not a recipient: not even told


async def test_an_acknowledgement_from_an_organisation_not_routed_stops_nothing(
    desk: Desk,
) -> None:
    escalations = Escalations(desk)
    start = desk.clock()
    alert_id = await publish(desk, "inspecteur.mons", green("Rear doors forced in Hyon."))
    await escalations.on_duty("prevention.quevy", "zone", "5324")
    bulletin = (await desk.ledger.bulletins(alert_id))["zone:5324"]
    # Oostende's officer is in none of the alert's rooms; what a reaction on the bulletin's
    # event ID from another room would make the ledger record
    outsider = await desk.member("analist.oostende")
    await desk.ledger.acknowledge(alert_id, outsider.matrix_id, outsider.organisation, "zone:5324")
    assert bulletin.event_id

    [said] = await escalations.round(start + timedelta(minutes=61))
    assert said.mentions == [user("prevention.quevy")]
    step = await escalations.store.step(alert_id, ACK, 1)
    assert step is not None and step.state == FIRED


async def test_a_pending_red_alerts_escalation_shows_moderators_no_text(desk: Desk) -> None:
    escalations = Escalations(desk)
    start = desk.clock()
    reply = await desk.say("prevention.mons", green(SECRET, tlp="red"))
    assert reply is not None
    ref = reply.text.split()[1].rstrip(":")
    await desk.say("prevention.mons", f"!alert publish {ref}")
    await desk.deliver()  # a pointer in #moderation, the notice in the deciders' direct chats
    notice = await desk.ledger.moderation_notice(int(ref.split("-")[1]))
    assert notice is not None

    [said] = await escalations.round(start + timedelta(minutes=61))
    assert said.room == notice[0] and said.thread == notice[1]
    assert said.mentions == [user("analyste.mons")]  # a moderator who may read it
    assert "TLP:RED" in said.body and ref in said.body
    assert "Quaregnon" not in str(said.content) and "Informant" not in str(said.content)
