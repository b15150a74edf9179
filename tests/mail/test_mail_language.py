"""A member's own language (``!prefs language``) writes their bulletin and digest e-mails, in
place of the room's; colleagues who chose none still get the room's (real relay, SQLite and
PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.prefs_commands import register_prefs_commands
from phenomena.storage.database import Database
from phenomena.storage.notify_prefs import SqlNotifyPreferences
from phenomena.territory import TerritoryRegistry
from tests.mail.bulletin_desk import MailDesk
from tests.mail.digest_desk import send_digests
from tests.mail.smtp_relay import Relay, relay
from tests.mail.support import plain
from tests.support.alert_desk import Desk

__all__ = ["relay"]


@pytest.fixture
async def mail(
    db: Database, territories: TerritoryRegistry, relay: Relay, tmp_path: Path
) -> MailDesk:
    desk = Desk(db, territories)
    await desk.load_demo()
    found = MailDesk(desk, relay, tmp_path)
    await found.start()
    notify = SqlNotifyPreferences(db, desk.clock)
    register_prefs_commands(desk.registry, found.deliveries, email_enabled=True, notify=notify)
    return found


async def test_a_member_who_chose_dutch_gets_a_french_rooms_bulletin_in_dutch(
    mail: MailDesk,
) -> None:
    await mail.choose("prevention.quevy", "all")
    await mail.choose("prevention.mons", "all")
    reply = await mail.desk.say("prevention.quevy", "!prefs language nl")
    assert reply is not None and "Taal: Nederlands" in reply.text
    await mail.publish("green", "Doors forced in Hyon")
    await mail.mail()
    [dutch] = mail.inbox("prevention.quevy")
    [french] = mail.inbox("prevention.mons")
    assert "Woninginbraak" in dutch["Subject"], dutch["Subject"]
    assert "Cambriolage" in french["Subject"], french["Subject"]
    assert "Doors forced in Hyon" in plain(dutch)


async def test_the_digest_follows_the_members_language(mail: MailDesk) -> None:
    await mail.choose("prevention.quevy", "digest")
    await mail.desk.say("prevention.quevy", "!prefs language de")
    await mail.publish("green", "Doors forced in Hyon")
    assert await send_digests(mail) == 1
    [got] = mail.inbox("prevention.quevy")
    assert "Wöchentliche Übersicht" in got["Subject"], got["Subject"]
