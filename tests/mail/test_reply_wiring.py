"""An accepted e-mailed reply becomes one ``EmailReplied`` event, posted in every bulletin thread.

The database side runs on SQLite and PostgreSQL; the chat side posts through a recorder of the
bot's ``post`` (the whole path against Synapse is in tests/e2e/test_bulletin_mail_up.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bots.email_replies import EmailReplyNotices
from phenomena.alert_text import parse_alert_text
from phenomena.events import EmailReplied
from phenomena.partners import MemberStatus
from phenomena.partners_file import parse_partner_file
from phenomena.services.partners import import_partners
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.delivery_failures import FailureKind, classify
from prevnet.mail.replies import EmailReply
from prevnet.mail.reply_wiring import ReplyRecorder, reply_key
from tests.unit.test_alert_text import EXAMPLE
from tests.unit.test_partners_file import GOOD

NOW = datetime(2026, 11, 16, 9, tzinfo=UTC)
ALICE = "@alice:prevnet.example"


def recorder(db: Database) -> ReplyRecorder:
    return ReplyRecorder(
        lambda: SqlUnitOfWork(db.sessions, lambda: NOW),
        lambda key: SqlUnitOfWork(db.sessions, lambda: NOW, once=key),
    )


async def network(db: Database, territories: TerritoryRegistry, tlp: str = "green") -> int:
    """The partners of GOOD, every member active, and one published alert of ``tlp``."""
    await import_partners(
        SqlUnitOfWork(db.sessions, lambda: NOW), parse_partner_file(GOOD, territories), "t", NOW
    )
    async with SqlUnitOfWork(db.sessions, lambda: NOW) as unit:
        for member in await unit.members.list():
            member.status = MemberStatus.ACTIVE
            await unit.members.save(member)
        text = EXAMPLE.replace("tlp: amber", f"tlp: {tlp}")
        alert = await unit.alerts.create(parse_alert_text(text, territories), ALICE, "zp", NOW)
        alert.publish(("zone:5324",), ALICE, NOW)
        await unit.alerts.save(alert)
        await unit.commit()
    return alert.id


async def replies_in_outbox(db: Database) -> list[EmailReplied]:
    return [e for _, e in await Outbox(db, "t").events() if isinstance(e, EmailReplied)]


async def test_a_reply_is_recorded_once_with_the_members_name_and_organisation(
    db: Database, territories: TerritoryRegistry
) -> None:
    alert_id = await network(db, territories)
    replies = recorder(db)
    assert list(await replies.members_for("ALICE@example.org ")) == [ALICE]
    assert await replies.replies_open(alert_id)
    reply = EmailReply(alert_id, ALICE, "Same in Jemappes last night.", "<m1@mail.example>")
    await replies.record(reply)
    await replies.record(reply)  # the relay delivered it twice
    [event] = await replies_in_outbox(db)
    assert (event.alert_id, event.sender, event.text) == (
        alert_id,
        ALICE,
        "Same in Jemappes last night.",
    )
    assert (event.display_name, event.organisation) == ("Alice Dupont", "Zone de police Mons/Quévy")
    assert event.event_id == reply_key(reply)


async def test_one_members_message_id_never_hides_anothers_reply(
    db: Database, territories: TerritoryRegistry
) -> None:
    alert_id = await network(db, territories)
    replies = recorder(db)
    await replies.record(EmailReply(alert_id, ALICE, "Seen it.", "<same@mail.example>"))
    bob = "@bob:prevnet.example"
    await replies.record(EmailReply(alert_id, bob, "Also here.", "<same@mail.example>"))
    assert sorted(e.sender for e in await replies_in_outbox(db)) == [ALICE, bob]


async def test_only_active_members_addresses_and_open_green_alerts_take_replies(
    db: Database, territories: TerritoryRegistry
) -> None:
    amber = await network(db, territories, tlp="amber")
    replies = recorder(db)
    assert not await replies.replies_open(amber)
    assert not await replies.replies_open(amber + 1000)  # no such alert
    async with SqlUnitOfWork(db.sessions, lambda: NOW) as unit:
        alice = await unit.members.get(ALICE)
        assert alice is not None
        alice.status = MemberStatus.SUSPENDED
        await unit.members.save(alice)
        await unit.commit()
    assert list(await replies.members_for("alice@example.org")) == []


@dataclass(frozen=True)
class Bulletin:
    alert_id: int
    room: str
    room_id: str
    event_id: str
    version: int = 1


class Ledger:
    def __init__(self, bulletins: Mapping[str, Bulletin]) -> None:
        self._bulletins = bulletins

    async def find_bulletin(self, event_id: str) -> Bulletin | None:
        return next((b for b in self._bulletins.values() if b.event_id == event_id), None)

    async def bulletins(self, alert_id: int) -> Mapping[str, Bulletin]:
        return {k: b for k, b in self._bulletins.items() if b.alert_id == alert_id}


def routed(*rooms: str) -> Callable[[int], Awaitable[Sequence[str]]]:
    async def rooms_of(alert_id: int) -> Sequence[str]:
        return rooms

    return rooms_of


async def room_ids(room: str) -> str | None:
    """Every room exists but ``zone:9999`` (a zone without partners has no room)."""
    return None if room == "zone:9999" else f"!{room}"


def reply(text: str = "Same in Jemappes.") -> EmailReplied:
    return EmailReplied(
        alert_id=7,
        room="",
        event_id="email:abc",
        sender=ALICE,
        display_name="Alice Dupont",
        organisation="ZP Mons/Quévy",
        text=text,
    )


async def test_an_at_room_in_a_reply_pings_no_one_through_the_bots_power(
    territories: TerritoryRegistry,
) -> None:
    """The bot may notify a whole room; a member may not. The notice says it mentions nobody,
    so Matrix's legacy rule (any body containing "@room") does not fire for it."""
    posted: list[dict[str, Any]] = []

    async def post(room_id: str, content: dict[str, Any], tx_id: str) -> str:
        posted.append(content)
        return "$posted"

    ledger = Ledger({"zone:5324": Bulletin(7, "zone:5324", "!mons", "$zone")})
    notices = EmailReplyNotices(post, ledger, territories, routed("zone:5324"), room_ids)
    await notices.handle(reply("@room everybody look, and @bob:prevnet.example too"))
    [content] = posted
    assert "@room everybody look" in content["body"]
    assert content["m.mentions"] == {}


async def test_a_reply_that_comes_before_its_bulletin_waits_for_it(
    territories: TerritoryRegistry,
) -> None:
    """The bulletin e-mail can go out before the chat bulletin is posted (the homeserver slow):
    the reply is retried until every routed room's thread is there, never dropped."""
    posted: list[tuple[str, str]] = []

    async def post(room_id: str, content: dict[str, Any], tx_id: str) -> str:
        posted.append((room_id, tx_id))
        return "$posted"

    bulletins = {"zone:5324": Bulletin(7, "zone:5324", "!mons", "$zone")}
    rooms = routed("zone:5324", "province:40000", "zone:9999")
    notices = EmailReplyNotices(post, Ledger(bulletins), territories, rooms, room_ids)
    with pytest.raises(LookupError, match="province:40000") as waiting:
        await notices.handle(reply())
    assert classify(waiting.value) is FailureKind.TRANSIENT
    assert posted == [("!mons", "email:abc-zone:5324")]
    bulletins["province:40000"] = Bulletin(7, "province:40000", "!ovl", "$province")
    await notices.handle(reply())  # the retry: zone:9999 has no room, so no bulletin to wait for
    assert posted[1:] == [("!ovl", "email:abc-province:40000"), ("!mons", "email:abc-zone:5324")]


async def test_the_reply_goes_in_every_bulletin_thread_in_each_rooms_language(
    territories: TerritoryRegistry,
) -> None:
    posted: list[tuple[str, dict[str, Any], str]] = []

    async def post(room_id: str, content: dict[str, Any], tx_id: str) -> str:
        posted.append((room_id, content, tx_id))
        return f"$posted{len(posted)}"

    ledger = Ledger(
        {
            "zone:5324": Bulletin(7, "zone:5324", "!mons", "$zone"),
            "province:40000": Bulletin(7, "province:40000", "!ovl", "$province"),
            "zone:5340": Bulletin(8, "zone:5340", "!other", "$other"),
        }
    )
    event = EmailReplied(
        alert_id=7,
        room="",
        event_id="email:abc",
        sender=ALICE,
        display_name="Alice <Dupont>",
        organisation="ZP Mons/Quévy",
        text="Same in Jemappes.\nTwo houses.",
    )
    notices = EmailReplyNotices(
        post, ledger, territories, routed("zone:5324", "province:40000"), room_ids
    )
    await notices.handle(event)
    assert [(room_id, tx) for room_id, _, tx in posted] == [
        ("!ovl", "email:abc-province:40000"),
        ("!mons", "email:abc-zone:5324"),
    ]
    by_room = {room_id: content for room_id, content, _ in posted}
    mons, ovl = by_room["!mons"], by_room["!ovl"]
    assert mons["m.relates_to"]["rel_type"] == "m.thread"
    assert mons["m.relates_to"]["event_id"] == "$zone"
    assert ovl["m.relates_to"]["event_id"] == "$province"
    assert "Alice <Dupont> (ZP Mons/Quévy), par e-mail :" in mons["body"]
    assert "Same in Jemappes.\nTwo houses." in mons["body"]
    assert "per e-mail:" in ovl["body"]  # East Flanders reads Dutch
    assert "&lt;Dupont&gt;" in mons["formatted_body"] and "<Dupont>" not in mons["formatted_body"]
    assert "Same in Jemappes.<br>Two houses." in mons["formatted_body"]
