"""Bulletin e-mails never reach further than chat: only members of the routed rooms who may read
the alert and chose ``all``; AMBER as a notice without its text; RED and AMBER+STRICT not at all,
without even a look at who their recipients are (issue 17, "TLP decides what an e-mail carries").

Through real commands, the real outbox, a real relay on 127.0.0.1 and SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pytest
from sqlalchemy import select

from phenomena.alert import parse_ref
from phenomena.email_policy import EmailPreference
from phenomena.services.partners import suspend_member
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.schema import EmailSendRow
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from tests.mail.bulletin_desk import MailDesk, address
from tests.mail.smtp_relay import Relay, relay
from tests.mail.support import whole_text
from tests.support.alert_desk import Desk, user

__all__ = ["relay"]

EVERYONE = (
    "admin",
    "analyste.mons",
    "inspecteur.mons",
    "prevention.mons",
    "prevention.quevy",
    "analyste.boraine",
    "prevention.frameries",
    "analist.oostende",
    "preventie.oostende",
    "federal",
)
SECRET = "Informant names the Quaregnon garage as the fence"


class CountingDeliveries(SqlEmailDeliveries):
    """The real store, counting every look at members' choices (who the recipients are)."""

    looked: int = 0

    async def preferences(self, members: Collection[str]) -> dict[str, EmailPreference]:
        type(self).looked += 1
        return await super().preferences(members)


@pytest.fixture
async def mail(
    db: Database, territories: TerritoryRegistry, relay: Relay, tmp_path: Path
) -> MailDesk:
    desk = Desk(db, territories)
    await desk.load_demo()
    found = MailDesk(desk, relay, tmp_path)
    await found.start()
    for who in EVERYONE:
        await found.choose(who, "all")
    return found


async def sends_of(db: Database, alert_id: int) -> list[str]:
    """Every e-mail claimed for the alert (a claim comes before any send)."""
    async with db.sessions() as session:
        rows = await session.scalars(select(EmailSendRow).where(EmailSendRow.alert_id == alert_id))
        return [row.message_id for row in rows]


async def test_green_reaches_the_routed_members_who_chose_all_and_nobody_else(
    mail: MailDesk,
) -> None:
    await mail.choose("prevention.frameries", "none")
    await mail.choose("analyste.boraine", "digest")
    await suspend_member(
        SqlUnitOfWork(mail.desk.db.sessions, mail.desk.clock),
        user("prevention.mons"),
        user("admin"),
        "on leave",
        mail.desk.clock(),
    )
    await mail.publish("green", SECRET)
    await mail.mail()

    # Mons/Quévy's zone, its neighbours' zones and Hainaut's room are routed; Oostende is not.
    assert mail.addressees() == {
        address("admin"),
        address("analyste.mons"),
        address("inspecteur.mons"),
        address("prevention.quevy"),
        address("federal"),
    }
    assert all(len(mail.relay.inbox.to(a)) == 1 for a in mail.addressees())
    [got] = mail.inbox("prevention.quevy")
    assert SECRET.lower() in whole_text(got)  # GREEN goes in full


async def test_amber_arrives_as_a_notice_without_its_text(mail: MailDesk) -> None:
    ref = await mail.publish("amber", SECRET)
    await mail.mail()
    assert address("federal") not in mail.addressees()  # not in AMBER's zone rooms
    assert address("analist.oostende") not in mail.addressees()
    [got] = mail.inbox("prevention.quevy")
    text = whole_text(got)
    assert "[tlp:amber]" in got["Subject"].lower() and ref.lower() in text
    for word in ("informant", "quaregnon", "garage", "fence"):
        assert word not in text, word
    assert "matrix.to" in text  # where to read it


@pytest.mark.parametrize("tlp", ["red", "amber+strict"])
async def test_red_and_amber_strict_send_nothing_and_look_up_nobody(
    mail: MailDesk, tlp: str
) -> None:
    counting = CountingDeliveries(mail.desk.db, mail.desk.clock)
    looked = CountingDeliveries.looked
    ref = await mail.publish(tlp, SECRET)
    await mail.desk.say("inspecteur.mons", f"!alert update {ref} summary: {SECRET}, confirmed.")
    await mail.desk.say("inspecteur.mons", f"!alert close {ref} done")
    await mail.mail(await mail.dispatcher(deliveries=counting))

    assert mail.relay.inbox.received == []
    assert await sends_of(mail.desk.db, parse_ref(ref)) == []
    assert CountingDeliveries.looked == looked
    assert await mail.pending() == 0  # handled (by sending nothing), not left to retry


async def test_the_same_green_alert_with_the_counting_store_does_look(mail: MailDesk) -> None:
    """The counter of the RED test sees a look when there is one (so its silence means it)."""
    counting = CountingDeliveries(mail.desk.db, mail.desk.clock)
    looked = CountingDeliveries.looked
    await mail.publish("green", "Nothing secret")
    await mail.mail(await mail.dispatcher(deliveries=counting))
    assert CountingDeliveries.looked > looked
    assert mail.inbox("prevention.quevy")


async def test_a_member_without_an_address_gets_nothing_and_holds_back_nobody(
    mail: MailDesk,
) -> None:
    async with SqlUnitOfWork(mail.desk.db.sessions, mail.desk.clock) as unit:
        member = await unit.members.get(user("analyste.mons"))
        assert member is not None
        member.change(member.display_name, member.organisation, member.roles, None)
        await unit.members.save(member)
        await unit.commit()
    await mail.publish("green", SECRET)
    await mail.mail()
    assert address("analyste.mons") not in mail.addressees()
    assert mail.inbox("prevention.quevy")
    assert await mail.pending() == 0
