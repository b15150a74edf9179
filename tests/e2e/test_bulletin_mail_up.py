"""``prevnet up`` with ``[email]``: a member who chose ``!prefs email all`` finds an alert typed in
Matrix in their mailbox (GREEN in full), and nothing of a RED one published just before it."""

from __future__ import annotations

import asyncio
import time
from email.message import EmailMessage
from pathlib import Path

from tests.e2e.test_alerts import draft_from, notice
from tests.mail.smtp_relay import Relay, relay
from tests.mail.support import plain
from tests.support.people import Person
from tests.support.up import SERVER, started

__all__ = ["relay"]
ADDRESS = "sophie.martin@quevy.example"
RED = """!alert new
type: residential-burglary
area: Mons
from: 2026-11-14
tlp: red
summary: Informant names the Quaregnon garage as the fence."""
GREEN = """!alert new
type: residential-burglary
area: Mons
from: 2026-11-14
to: 2026-12-20
tlp: green
summary: Rear doors forced in Hyon and Nimy in daylight."""


async def bulletin_mails(relay: Relay, within: float = 90.0) -> list[EmailMessage]:
    """The bulletin mails (not the invitation) that reached the member, once one has."""
    deadline = time.monotonic() + within
    while True:
        found = [m for m in relay.inbox.to(ADDRESS) if str(m["Subject"]).startswith("[TLP:")]
        if found:
            return found
        assert time.monotonic() < deadline, "no bulletin e-mail arrived"
        await asyncio.sleep(0.2)


async def test_an_alert_typed_in_matrix_reaches_the_mailbox_and_red_does_not(
    relay: Relay, tmp_path: Path
) -> None:
    env = {
        "PREVNET_SMTP_HOST": "127.0.0.1",
        "PREVNET_SMTP_PORT": str(relay.port),
        "PREVNET_SMTP_STARTTLS": "false",
        "PREVNET_EMAIL_FROM": "prevnet <prevnet@prevnet.example>",
    }
    async with started(tmp_path / "data", env) as network:
        people: list[Person] = []

        async def person(localpart: str) -> Person:
            user_id = f"@{localpart}:{SERVER}"
            found = Person(network.url, user_id, tmp_path / localpart)
            await found.login(network.accounts()[user_id])
            people.append(found)
            return found

        try:
            admin = await person("admin")
            admin_room = await admin.room(f"#admin:{SERVER}")
            sophie_id = f"@prevention.quevy:{SERVER}"
            await admin.say(
                admin_room,
                f'!member add {sophie_id} org=pcs-quevy name="Sophie Martin" email={ADDRESS}',
            )
            await admin.wait_for(notice(admin_room, sophie_id))

            sophie = await person("prevention.quevy")
            zone = await sophie.room(f"#zone-5324:{SERVER}")
            await sophie.say(zone, "!prefs email all")
            await sophie.wait_for(notice(zone, "I answered you in our direct chat"))

            # one author each: a person's notices are read from the start of their history
            for localpart, text in (("inspecteur.mons", RED), ("analyste.mons", GREEN)):
                author = await person(localpart)
                author_zone = await author.room(f"#zone-5324:{SERVER}")
                chat, draft = await draft_from(author, author_zone, text)
                ref = draft.body.split()[1].rstrip(":")
                await author.say(chat, f"!alert publish {ref}")
                await author.wait_for(notice(chat, f"{ref} is published"))

            [mail] = await bulletin_mails(relay)  # the RED alert's event was handled first
            assert mail["Subject"].startswith("[TLP:GREEN] ") and "A-2" in mail["Subject"]
            assert "Rear doors forced in Hyon and Nimy in daylight." in plain(mail)
            everything = "".join(m.as_string() for m in relay.inbox.to(ADDRESS)).lower()
            assert "quaregnon" not in everything and "informant" not in everything
        finally:
            for someone in people:
                await someone.close()
