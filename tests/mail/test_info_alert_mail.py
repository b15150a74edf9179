"""Info alerts by e-mail, through a real relay on 127.0.0.1: no bulletin mail for those who chose
``all`` (an info alert has no bulletin), but the weekly digest mail carries it."""

from __future__ import annotations

from pathlib import Path

import pytest

from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from tests.mail.bulletin_desk import MailDesk
from tests.mail.digest_desk import send_digests
from tests.mail.smtp_relay import Relay, relay
from tests.mail.support import plain
from tests.support.alert_desk import Desk

__all__ = ["relay"]

NORMAL = "Rear doors forced in Hyon and Nimy in daylight"
INFO = "Leaflets on locking rear doors handed out at the market"


@pytest.fixture
async def mail(
    db: Database, territories: TerritoryRegistry, relay: Relay, tmp_path: Path
) -> MailDesk:
    desk = Desk(db, territories)
    await desk.load_demo()
    found = MailDesk(desk, relay, tmp_path)
    await found.start()
    return found


async def test_an_info_alert_is_not_mailed_as_a_bulletin_but_is_in_the_digest(
    mail: MailDesk,
) -> None:
    await mail.choose("prevention.quevy", "all")
    await mail.choose("prevention.frameries", "digest")
    normal = await mail.publish("green", NORMAL)
    info = await mail.publish("green\npriority: info", INFO)
    await mail.mail()
    assert await mail.pending() == 0  # the consumer is done: what it sent is all it sends

    [bulletin] = mail.inbox("prevention.quevy")
    assert normal in bulletin["Subject"] and NORMAL in plain(bulletin)
    assert not any(INFO in plain(r.message) for r in mail.relay.inbox.received)

    assert await send_digests(mail) == 1
    [digest] = mail.inbox("prevention.frameries")
    assert info in plain(digest) and INFO in plain(digest)
