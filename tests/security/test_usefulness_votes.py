"""An adversarial member and usefulness votes and preferences: no vote on an alert their
organisation never received (nor one they may not even see), none for somebody else, none from
a reaction made outside the bulletin's room; nobody sets another member's preferences.

Commands and reactions on a real database (SQLite and PostgreSQL); the cross-room reaction is
also played on a real homeserver, which refuses it before the bot could count it.
"""

from __future__ import annotations

from datetime import date

import nio
import pytest

from bots.prefs_commands import register_prefs_commands
from bots.reactions import on_reaction
from bots.useful_commands import register_useful_commands
from phenomena.alert import AlertContent, parse_ref
from phenomena.notify_prefs import NotifyPreference
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.notify_prefs import SqlNotifyPreferences
from phenomena.storage.usefulness import SqlUsefulness
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from phenomena.usefulness import Tally
from tests.support.alert_desk import Desk, ref_in, user
from tests.support.attention_chat import (
    Chat,
    chat_fixture,  # noqa: F401
    until,
)


def alert_text(tlp: str, extra: str = "") -> str:
    return f"""!alert new
type: vandalism
area: Mons
from: 2026-11-14
tlp: {tlp}
summary: Bus shelters smashed at night.{extra}"""


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    found.desk.usefulness = SqlUsefulness(db, found.clock)
    notify = SqlNotifyPreferences(db, found.clock)
    register_prefs_commands(
        found.registry, SqlEmailDeliveries(db), email_enabled=False, notify=notify
    )
    register_useful_commands(found.registry, found.desk, notify)
    return found


async def published(desk: Desk, text: str) -> int:
    ref = ref_in(await desk.say("analyste.mons", text))
    await desk.say("analyste.mons", f"!alert publish {ref}")
    await desk.deliver()
    return parse_ref(ref)


async def tally(desk: Desk, alert_id: int) -> Tally:
    assert desk.desk.usefulness is not None
    return await desk.desk.usefulness.tally(alert_id)


async def test_no_vote_on_an_alert_the_members_organisation_never_received(desk: Desk) -> None:
    alert_id = await published(desk, alert_text("amber"))
    # Oostende's prevention service may not read it: the same answer as for no alert at all
    reply = await desk.say("preventie.oostende", f"!useful A-{alert_id} yes")
    assert reply is not None and reply.private
    assert f"there is no alert A-{alert_id} you can see" in reply.text
    # Oostende's moderator may read it, but their zone was not sent it
    reply = await desk.say("analist.oostende", f"!useful A-{alert_id} no")
    assert reply is not None and "your organisation did not receive" in reply.text
    assert await tally(desk, alert_id) == Tally()


async def test_no_vote_on_a_red_alert_by_a_colleague_of_the_zone_who_is_no_recipient(
    desk: Desk,
) -> None:
    alert_id = await published(desk, alert_text("red"))
    reply = await desk.say("prevention.mons", f"!useful A-{alert_id} yes", room="zone:5324")
    assert reply is not None and reply.private
    assert "there is no alert" in reply.text
    assert "Bus shelters" not in reply.text + reply.pointer
    assert await tally(desk, alert_id) == Tally()
    # a recipient votes, and the counts per type never include a RED alert
    reply = await desk.say("inspecteur.mons", f"!useful A-{alert_id} yes")
    assert reply is not None and "is counted" in reply.text
    reply = await desk.say("analyste.mons", "!alert reach", room="zone:5324")
    assert reply is not None and "No votes yet" in reply.text


async def test_nobody_votes_for_another_member(desk: Desk) -> None:
    alert_id = await published(desk, alert_text("amber"))
    for wrong in (
        f"!useful A-{alert_id} yes @prevention.quevy:prevnet.test",
        f"!useful A-{alert_id} yes member=@prevention.quevy:prevnet.test",
        f"!useful @prevention.quevy:prevnet.test A-{alert_id} yes",
    ):
        reply = await desk.say("prevention.mons", wrong)
        assert reply is not None and "you vote for yourself only" in reply.text, wrong
    assert await tally(desk, alert_id) == Tally()


async def test_a_reaction_outside_the_bulletins_room_counts_for_nothing(desk: Desk) -> None:
    alert_id = await published(desk, alert_text("amber"))
    bulletin = (await desk.ledger.bulletins(alert_id))["zone:5324"]
    reader = await desk.member("prevention.quevy")
    outcome = await on_reaction(
        desk.desk, reader, "$r", bulletin.event_id, "👍", "!dm:" + reader.matrix_id
    )
    assert outcome == "refused: not in the bulletin's room"
    assert await desk.ledger.acknowledgements(alert_id) == {}
    assert await tally(desk, alert_id) == Tally()
    # one made in a room of the bulletin by a member whose organisation did not receive it
    # (someone added by hand) acknowledges, as every reaction does, but votes nothing
    stranger = await desk.member("preventie.oostende")
    outcome = await on_reaction(
        desk.desk, stranger, "$s", bulletin.event_id, "👍", bulletin.room_id
    )
    assert outcome is not None and "vote refused" in outcome
    assert await tally(desk, alert_id) == Tally()


async def test_nobody_sets_another_members_preferences(desk: Desk) -> None:
    other = user("prevention.quevy")
    for wrong in (
        f"!prefs notify urgent {other}",
        f"!prefs quiet 22:00-07:00 {other}",
        f"!prefs language nl member={other}",
        f"!prefs email all for={other}",
    ):
        reply = await desk.say("prevention.mons", wrong)
        assert reply is not None and "!prefs" in reply.text, wrong
    assert await SqlNotifyPreferences(desk.db).get(other) == NotifyPreference(other)
    mine = await SqlNotifyPreferences(desk.db).get(user("prevention.mons"))
    assert mine == NotifyPreference(user("prevention.mons"))


async def test_on_the_homeserver_a_reaction_from_another_room_is_refused_and_never_votes(
    chat: Chat,
) -> None:
    content = AlertContent(
        PhenomenonType.VANDALISM, ("53053",), date.today(), None, Tlp.AMBER, "Shelters smashed."
    )
    alert = await chat.publish(content)
    zone = await chat.room("zone:5324")
    bulletin = await chat.bulletin(alert.id, "zone:5324")
    prevention = await chat.person("prevention")
    await prevention.say(zone, "!prefs")  # the bot opens a direct chat for the answer
    direct = await chat.direct("prevention")
    relation = {"rel_type": "m.annotation", "event_id": bulletin.event_id, "key": "👍"}
    sent = await prevention.client.room_send(
        direct, "m.reaction", {"m.relates_to": relation}, ignore_unverified_devices=True
    )
    assert isinstance(sent, nio.RoomSendError), sent  # "Relations must be in the same room"
    # a 👎 in the bulletin's own room is counted, and it is the only vote
    await prevention.react(zone, bulletin.event_id, "👎")

    async def counted() -> bool:
        return await chat.usefulness.tally(alert.id) != Tally()

    await until(counted)
    assert await chat.usefulness.tally(alert.id) == Tally(yes=0, no=1)
