"""``!prefs email``: a member's own choice, answered privately, decides whether bulletins reach
their mailbox (real commands, a real database on SQLite and PostgreSQL, a real relay)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.prefs_commands import register_prefs_commands
from phenomena.email_policy import EmailPreference
from phenomena.storage.database import Database
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from tests.mail.bulletin_desk import MailDesk
from tests.mail.smtp_relay import Relay, relay
from tests.support.alert_desk import Desk, user

__all__ = ["relay"]


@pytest.fixture
async def mail(
    db: Database, territories: TerritoryRegistry, relay: Relay, tmp_path: Path
) -> MailDesk:
    desk = Desk(db, territories)
    await desk.load_demo()
    found = MailDesk(desk, relay, tmp_path)
    await found.start()
    register_prefs_commands(desk.registry, found.deliveries, email_enabled=True)
    return found


async def test_a_member_chooses_all_in_chat_and_gets_the_next_bulletin(mail: MailDesk) -> None:
    reply = await mail.desk.say(
        "prevention.quevy", "!prefs email all", room="zone:5324", readers=["inspecteur.mons"]
    )
    assert reply is not None and reply.private  # it names the address: direct chat only
    assert "prevention.quevy@partners.example" in reply.text
    assert "prevention.quevy@partners.example" not in reply.pointer
    await mail.publish("green", "Doors forced in Hyon")
    await mail.mail()
    assert len(mail.inbox("prevention.quevy")) == 1

    reply = await mail.desk.say("prevention.quevy", "!prefs email NONE")
    assert reply is not None and "email none" in reply.text
    await mail.publish("green", "Doors forced in Nimy")
    await mail.mail()
    assert len(mail.inbox("prevention.quevy")) == 1  # nothing more


async def test_prefs_alone_shows_the_choice_and_the_default_is_none(mail: MailDesk) -> None:
    reply = await mail.desk.say("prevention.mons", "!prefs")
    assert reply is not None and "(email none)" in reply.text
    await mail.desk.say("prevention.mons", "!prefs email digest")
    assert await mail.deliveries.preference(user("prevention.mons")) is EmailPreference.DIGEST
    reply = await mail.desk.say("prevention.mons", "!prefs")
    assert reply is not None and "(email digest)" in reply.text


async def test_a_wrong_choice_is_refused_and_changes_nothing(mail: MailDesk) -> None:
    await mail.desk.say("prevention.mons", "!prefs email all")
    for wrong in ("!prefs email sometimes", "!prefs sms all", "!prefs email all none"):
        reply = await mail.desk.say("prevention.mons", wrong)
        assert reply is not None and "prefs email all|digest|none" in reply.text, wrong
    assert await mail.deliveries.preference(user("prevention.mons")) is EmailPreference.ALL


async def test_without_an_address_or_email_set_up_the_member_is_told(
    mail: MailDesk,
) -> None:
    member = await mail.desk.member("federal")
    member.change(member.display_name, member.organisation, member.roles, None)
    async with SqlUnitOfWork(mail.desk.db.sessions, mail.desk.clock) as unit:
        await unit.members.save(member)
        await unit.commit()
    reply = await mail.desk.say("federal", "!prefs email all")
    assert reply is not None and "no e-mail address" in reply.text

    register_prefs_commands(mail.desk.registry, mail.deliveries, email_enabled=False)
    reply = await mail.desk.say("prevention.mons", "!prefs email all")
    assert reply is not None and "not set up on this network" in reply.text
