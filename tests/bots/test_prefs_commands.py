"""``!prefs``: a member's own choices, answered privately: e-mail decides whether bulletins reach
their mailbox (real commands, a real database on SQLite and PostgreSQL, a real relay); the
priority floor, quiet hours and language are kept whole and shown back."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bots.prefs_commands import register_prefs_commands
from phenomena.email_policy import EmailPreference
from phenomena.notify_prefs import NotifyPreference, QuietHours
from phenomena.priority import Priority
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.notify_prefs import SqlNotifyPreferences
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


@pytest.fixture
async def prefs(db: Database, territories: TerritoryRegistry) -> tuple[Desk, SqlNotifyPreferences]:
    desk = Desk(db, territories)
    await desk.load_demo()
    notify = SqlNotifyPreferences(db, desk.clock)
    register_prefs_commands(
        desk.registry, SqlEmailDeliveries(db), email_enabled=True, notify=notify
    )
    return desk, notify


async def test_a_member_sets_floor_quiet_hours_and_language_and_sees_them_all(
    prefs: tuple[Desk, SqlNotifyPreferences],
) -> None:
    desk, notify = prefs
    reply = await desk.say("prevention.mons", "!prefs")
    assert reply is not None and reply.private
    for shown in ("(email none)", "(notify normal)", "(quiet none)", "(language en)"):
        assert shown in reply.text
    await desk.say("prevention.mons", "!prefs notify dringend")
    await desk.say("prevention.mons", "!prefs quiet 22:00-07:00", room="zone:5324")
    reply = await desk.say("prevention.mons", "!prefs language nl")
    assert reply is not None and reply.private and "Taal: Nederlands" in reply.text
    assert await notify.get(user("prevention.mons")) == NotifyPreference(
        user("prevention.mons"),
        Priority.URGENT,
        QuietHours(time(22, 0), time(7, 0)),
        "nl",
    )
    reply = await desk.say("prevention.mons", "!prefs")
    assert reply is not None
    assert "Per e-mail krijgt u niets (email none)." in reply.text
    assert "alleen dringende meldingen (notify urgent)" in reply.text
    assert "Rusturen: 22:00-07:00" in reply.text
    assert "ons privégesprek" in reply.pointer
    # a colleague's choices are their own
    assert await notify.get(user("prevention.quevy")) == NotifyPreference(user("prevention.quevy"))
    await desk.say("prevention.mons", "!prefs quiet none")
    assert (await notify.get(user("prevention.mons"))).quiet is None


async def test_a_word_that_cannot_be_read_lists_what_to_write_and_changes_nothing(
    prefs: tuple[Desk, SqlNotifyPreferences],
) -> None:
    desk, notify = prefs
    await desk.say("prevention.mons", "!prefs notify info")
    before = await notify.get(user("prevention.mons"))
    wrongs = {
        "!prefs notify soon": "write urgent, normal or info",
        "!prefs quiet 23:00-25:00": "hours 0-23",
        "!prefs quiet evenings": "22:00-07:00",
        "!prefs language es": "fr, nl, de, en",
        "!prefs volume loud": "!prefs notify urgent|normal|info, !prefs quiet 22:00-07:00|none",
    }
    for wrong, says in wrongs.items():
        reply = await desk.say("prevention.mons", wrong)
        assert reply is not None and says in reply.text, wrong
        if "volume" not in wrong:
            assert "nothing was changed" in reply.text, wrong
    assert await notify.get(user("prevention.mons")) == before
