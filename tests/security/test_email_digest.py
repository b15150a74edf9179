"""The weekly digest by e-mail never carries what may not leave Matrix: CLEAR and GREEN in full,
AMBER as a notice line without its text, AMBER+STRICT and RED not at all, not even their
reference, title or count (issue 17, items 2 and 5).

Through real commands, a real relay on 127.0.0.1 and SQLite and PostgreSQL; every header and
every decoded part of the mail is searched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from tests.mail.bulletin_desk import MailDesk, address
from tests.mail.digest_desk import send_digests
from tests.mail.smtp_relay import Relay, relay
from tests.mail.support import whole_text
from tests.support.alert_desk import Desk

__all__ = ["relay"]

GREEN = "Rear doors forced in Hyon and Nimy in daylight"
AMBER = "Plainclothes patrol planned on the Grand-Place"
RED = "Informant names the Quaregnon garage as the fence"
STRICT = "Undercover officer placed at the Jemappes depot"
NEVER = ("informant", "quaregnon", "garage", "fence", "undercover", "jemappes", "depot")


@pytest.fixture
async def mail(
    db: Database, territories: TerritoryRegistry, relay: Relay, tmp_path: Path
) -> MailDesk:
    desk = Desk(db, territories)
    await desk.load_demo()
    found = MailDesk(desk, relay, tmp_path)
    await found.start()
    return found


def has_ref(text: str, ref: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(ref.lower())}(?!\d)", text) is not None


async def test_the_digest_holds_green_in_full_amber_as_a_notice_and_no_red(
    mail: MailDesk,
) -> None:
    await mail.choose("prevention.quevy", "digest")
    red = await mail.publish("red", RED)
    green = await mail.publish("green", GREEN)
    strict = await mail.publish("amber+strict", STRICT)
    amber = await mail.publish("amber", AMBER)

    await send_digests(mail)

    [got] = mail.inbox("prevention.quevy")
    text = whole_text(got)
    assert GREEN.lower() in text and has_ref(text, green)
    assert has_ref(text, amber) and "tlp:amber" in text
    for word in ("plainclothes", "grand-place"):  # AMBER's text stays in Matrix
        assert word not in text, word
    for word in NEVER:
        assert word not in text, word
    assert not has_ref(text, red) and not has_ref(text, strict)
    assert "tlp:red" not in text and "amber+strict" not in text


@pytest.mark.parametrize("tlp", ["red", "amber+strict"])
async def test_a_week_of_only_red_or_amber_strict_sends_no_digest(mail: MailDesk, tlp: str) -> None:
    """Not even an empty digest: its arrival would tell that something was published."""
    await mail.choose("prevention.quevy", "digest")
    await mail.publish(tlp, RED)
    assert await send_digests(mail) == 0
    assert mail.relay.inbox.received == []


async def test_a_digest_holds_only_alerts_of_the_members_rooms(mail: MailDesk) -> None:
    """A Mons alert is not in the digest of an Oostende member, who gets none that week."""
    await mail.choose("preventie.oostende", "digest")
    await mail.choose("prevention.quevy", "digest")
    await mail.publish("green", GREEN)
    await send_digests(mail)
    assert mail.addressees() == {address("prevention.quevy")}
