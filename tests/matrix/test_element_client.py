"""prevnet as members at Element's own SDK see it: matrix-js-sdk with its Rust crypto.

The bot is matrix-nio; these members are not, so what they decrypt and what their SDK says of
the bot's device is what Element would show. A member in a zone room decrypts a bulletin from
the bot's device; an author drafts, publishes and reads the reach of an alert whose bulletin a
colleague reacted to, all typed in that SDK.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date

from bots.delivery import ALERT_EVENTS, AlertDelivery
from phenomena.alert import AlertContent, parse_ref
from phenomena.storage.bulletins import BulletinRecord, SqlBulletinLedger
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.taxonomy import PhenomenonType
from phenomena.tlp import Tlp
from prevnet.dispatch import Dispatcher, Subscription
from tests.support.attention_chat import (
    Chat,
    chat_fixture,  # noqa: F401
    until,
)
from tests.support.jsclient import JsClient, JsClients, js_clients_fixture  # noqa: F401

SUMMARY = "Copper cable stripped from the railway at Ghlin overnight."
CABLE_THEFT = AlertContent(
    PhenomenonType.VANDALISM, ("53053",), date.today(), None, Tlp.GREEN, SUMMARY
)

UNTRUSTWORTHY = {"UNKNOWN_DEVICE", "MISMATCHED_SENDER_KEY", "AUTHENTICITY_NOT_GUARANTEED"}
UNTRUSTWORTHY |= {"SENT_IN_CLEAR", "UNKNOWN"}
"""Shield reasons that would mean the bulletin cannot be tied to the bot's device at all."""


async def member_at_js(chat: Chat, js_clients: JsClients, name: str) -> JsClient:
    """``name`` of the registry logged in at matrix-js-sdk, its device known to the bot.

    The bot must know the device before it encrypts a bulletin, or the device gets no key.
    """
    who = chat.registry.member(name)
    await chat.admin.put_user(who.matrix_id, password="js-pw")
    client = await js_clients(name)
    device = await client.login(chat.homeserver.url, who.matrix_id, "js-pw")

    async def bot_knows_device() -> bool:
        return device in chat.bot.client.device_store[who.matrix_id]

    await until(bot_knows_device, within=30)
    return client


async def deliver(chat: Chat, alert_id: int, room_key: str) -> BulletinRecord:
    """Run the outbox, as ``prevnet up`` does, until the alert's bulletin is in ``room_key``."""
    delivery = AlertDelivery(
        post=chat.bot.post,
        room_id_of=chat.network.room_id,
        alert_of=chat._alert_of,
        source_of=chat.desk.source,
        ledger=SqlBulletinLedger(chat.db),
        record=BulletinRecord,
        territories=chat.desk.territories,
        rooms=chat.network,
        uow=lambda: SqlUnitOfWork(chat.db.sessions),
        direct_room_of=chat.network.direct_room,
    )
    dispatcher = Dispatcher(
        Outbox(chat.db, "test"),
        [Subscription("matrix-bulletins", ALERT_EVENTS, delivery.handle)],
        retry_base=0.2,
    )
    deadline = time.monotonic() + 60
    while True:
        await dispatcher.run_once()
        found = (await SqlBulletinLedger(chat.db).bulletins(alert_id)).get(room_key)
        if found is not None:
            return found
        assert time.monotonic() < deadline, f"no bulletin of A-{alert_id} in {room_key} in 60 s"
        await asyncio.sleep(0.2)  # the publish is not committed yet, or a retry comes due


async def test_a_member_at_elements_sdk_decrypts_a_bulletin_from_the_bots_device(
    chat: Chat, js_clients: JsClients
) -> None:
    officer = await member_at_js(chat, js_clients, "officer")
    alert = await chat.publish(CABLE_THEFT)
    zone = await chat.room("zone:5324")
    record = await chat.bulletin(alert.id, "zone:5324")

    seen = await officer.wait_for_event(zone, event_id=record.event_id)

    assert seen.encrypted and seen.decryption_failure is None
    assert seen.type == "m.room.message" and seen.content["msgtype"] == "m.notice"
    assert SUMMARY in seen.body and alert.ref in seen.body
    assert seen.sender == chat.bot.client.user_id
    assert seen.sender_device == chat.bot.client.device_id
    # What Element shows next to the bulletin, printed for the record: a red shield with
    # UNSIGNED_DEVICE while the bot's account does not cross-sign its device. Never a key
    # Element cannot tie to that device, nor a bulletin in the clear.
    print(f"Element's shield on a bulletin: {seen.shield_colour} {seen.shield_reason}")
    print(f"the bot's device: {seen.device}; the bot: {seen.user}")
    assert seen.shield_reason not in UNTRUSTWORTHY
    assert seen.device is not None, "Element's SDK does not know the bot's device"
    assert not seen.device.local_verified  # nobody verified it by hand: trust is the owner's


async def test_an_author_at_elements_sdk_drafts_publishes_and_reads_a_reaction_in_reach(
    chat: Chat, js_clients: JsClients
) -> None:
    author = await member_at_js(chat, js_clients, "officer")
    reader = await member_at_js(chat, js_clients, "prevention")
    bot = chat.bot.client.user_id
    zone = await chat.room("zone:5324")
    text = "\n".join(
        [
            "!alert new",
            "type: vandalism",
            "area: Mons",
            f"from: {date.today().isoformat()}",
            "tlp: green",
            f"summary: {SUMMARY}",
        ]
    )

    await author.send_text(zone, text)
    direct = await author.wait_for_invite(inviter=bot)
    draft = await author.wait_for_event(direct, sender=bot, contains="Draft A-")
    assert SUMMARY in draft.body and draft.encrypted and draft.decryption_failure is None
    ref = draft.body.split()[1].rstrip(":")
    await author.send_text(direct, f"!alert publish {ref}")
    record = await deliver(chat, parse_ref(ref), "zone:5324")
    published = await author.wait_for_event(direct, sender=bot, contains="published")
    assert ref in published.body
    bulletin = await reader.wait_for_event(zone, event_id=record.event_id)
    assert SUMMARY in bulletin.body and bulletin.sender == bot
    await reader.react(zone, bulletin.event_id, "👍")

    async def acknowledged() -> bool:
        return bool(await chat.desk.ledger.acknowledgements(parse_ref(ref)))

    await until(acknowledged)
    await author.send_text(direct, f"!alert reach {ref}")
    reach = await author.wait_for_event(direct, sender=bot, contains=f"Reach of {ref}")
    assert f"Reach of {ref}: 1 seen" in reach.body
    prevention = chat.registry.member("prevention").matrix_id
    assert f"[pcs-mons]: seen (by {prevention})" in reach.body
    assert "1 useful" in reach.body
