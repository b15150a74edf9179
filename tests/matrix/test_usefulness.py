"""Usefulness on a real homeserver, members at encrypted clients: 👍 on a bulletin is an
acknowledgement and a yes, ``!useful A-12 no`` changes it (answered in the direct chat),
``!alert reach`` shows the votes, and the weekly digest shows them per phenomenon type."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import nio

from bots.digest import post_room_digest
from phenomena.alert import AlertContent
from phenomena.digest import room_digest
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.taxonomy import PhenomenonType
from phenomena.tlp import Tlp
from phenomena.usefulness import Tally
from tests.support.attention_chat import (
    Chat,
    chat_fixture,  # noqa: F401
    until,
)

VANDALISM = AlertContent(
    PhenomenonType.VANDALISM,
    ("53053",),
    date.today(),
    None,
    Tlp.AMBER,
    "Bus shelters smashed at night in Jemappes.",
)


async def test_a_thumb_acknowledges_and_votes_and_useful_no_changes_the_vote(chat: Chat) -> None:
    alert = await chat.publish(VANDALISM)
    zone = await chat.room("zone:5324")
    bulletin = await chat.bulletin(alert.id, "zone:5324")
    prevention = await chat.person("prevention")
    await prevention.wait_for(
        lambda r, e: r == zone and getattr(e, "event_id", "") == bulletin.event_id
    )
    member = chat.registry.member("prevention")

    await prevention.react(zone, bulletin.event_id, "👍")

    async def counted() -> bool:
        return await chat.usefulness.tally(alert.id) == Tally(yes=1)

    await until(counted)
    seen = await chat.desk.ledger.acknowledgements(alert.id)
    assert seen == {"pcs-mons": [member.matrix_id]}

    await prevention.say(zone, f"!useful {alert.ref} no")
    answer = await chat.answer("prevention", "is changed")
    assert "0 useful, 1 not useful" in answer
    await prevention.wait_for(
        lambda r, e: r == zone and isinstance(e, nio.RoomMessageNotice) and "direct chat" in e.body
    )
    assert await chat.usefulness.tally(alert.id) == Tally(yes=0, no=1)

    officer = await chat.person("officer")
    await officer.say(zone, f"!alert reach {alert.ref}")
    reach = await officer.wait_for(
        lambda r, e: isinstance(e, nio.RoomMessageNotice) and "Usefulness:" in e.body
    )
    assert f"Reach of {alert.ref}: 1 seen" in reach.body
    assert "Usefulness: 0 useful, 1 not useful (1 vote(s))." in reach.body

    await officer.say(zone, "!alert reach")
    per_type = await officer.wait_for(
        lambda r, e: (
            r == zone and isinstance(e, nio.RoomMessageNotice) and "by phenomenon" in e.body
        )
    )
    assert "- Vandalism: 0 useful, 1 not useful" in per_type.body


async def test_the_weekly_digest_shows_usefulness_per_type(chat: Chat) -> None:
    alert = await chat.publish(VANDALISM)
    zone = await chat.room("zone:5324")
    prevention = await chat.person("prevention")
    await prevention.say(zone, f"!useful {alert.ref} oui")
    await chat.answer("prevention", "is counted")
    async with SqlUnitOfWork(chat.db.sessions) as uow:
        alerts = list(await uow.alerts.list())
    now = datetime.now(UTC)
    tallies = await chat.usefulness.tallies_since(now - timedelta(weeks=12))
    digest = room_digest("zone:5324", alerts, now.date(), tallies=tallies)
    await chat.bot.client.sync(timeout=0)
    await post_room_digest(
        chat.bot.client, chat.bot.post, zone, digest, ("fr",), chat.desk.territories
    )
    text = await prevention.wait_for(
        lambda r, e: r == zone and isinstance(e, nio.RoomMessageNotice) and "Résumé" in e.body
    )
    assert "Utilité par type de phénomène, 12 dernières semaines :" in text.body
    assert "- Vandalisme: 1 utile(s), 0 pas utile(s)" in text.body
