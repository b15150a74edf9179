"""``prevnet up`` with ``[email]``: a member who chose ``!prefs email all`` finds an alert typed in
Matrix in their mailbox (GREEN in full), and nothing of a RED one published just before it; the
reply they send from their mailbox appears in the bulletin's thread, and forged ones are refused
and logged without their text."""

from __future__ import annotations

import asyncio
import smtplib
import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import nio

from tests.e2e.test_alerts import draft_from, notice
from tests.mail.smtp_relay import Relay, relay
from tests.mail.support import plain
from tests.support.people import Person
from tests.support.synapse import free_port
from tests.support.up import SERVER, DemoTemplate, started

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
REPLY_DOMAIN = "reply.prevnet.example"
ANSWER = "Idem à Jemappes cette nuit, deux maisons rue de la Station."
FORGED = "Wire the money to BE00 0000 0000 0000 now"


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
    relay: Relay, tmp_path: Path, demo_template: DemoTemplate
) -> None:
    env = {
        "PREVNET_SMTP_HOST": "127.0.0.1",
        "PREVNET_SMTP_PORT": str(relay.port),
        "PREVNET_SMTP_STARTTLS": "false",
        "PREVNET_EMAIL_FROM": "prevnet <prevnet@prevnet.example>",
        "PREVNET_EMAIL_REPLY_DOMAIN": REPLY_DOMAIN,
        "PREVNET_EMAIL_LISTEN_PORT": str(free_port()),
    }
    inbound = int(env["PREVNET_EMAIL_LISTEN_PORT"])
    async with started(tmp_path / "data", env, template=demo_template) as network:
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

            reply_to = str(mail["Reply-To"])
            assert reply_to.endswith("@" + REPLY_DOMAIN)
            forged = await asyncio.to_thread(
                send_reply, inbound, "intruder@evil.example", reply_to, FORGED
            )
            assert forged[0] == 550 and b"not yours" in forged[1]
            token_changed = reply_to[: -len(REPLY_DOMAIN) - 6] + "aaaaa@" + REPLY_DOMAIN
            wrong_token = await asyncio.to_thread(
                send_reply, inbound, ADDRESS, token_changed, FORGED
            )
            assert wrong_token[0] == 550 and b"not yours" in wrong_token[1]
            answered = await asyncio.to_thread(
                send_reply, inbound, ADDRESS, reply_to, f"{ANSWER}\n\n{quoted(mail)}"
            )
            assert answered[0] == 250, answered

            bulletin = await sophie.wait_for(notice(zone, "Rear doors forced in Hyon"))
            posted = await sophie.wait_for(notice(zone, ANSWER), within=60)
            relation = posted.source["content"]["m.relates_to"]
            assert relation["rel_type"] == "m.thread" and relation["event_id"] == bulletin.event_id
            assert "Sophie Martin" in posted.body and "Service prévention de Quévy" in posted.body
            assert isinstance(posted, nio.RoomMessageNotice)
            assert "Rear doors forced" not in posted.body  # the quoted bulletin stays out
            log_text = (tmp_path / "data" / "prevnet-up.log").read_text(errors="replace")
            assert "refused a forged reply" in log_text
            assert FORGED not in log_text and "BE00" not in log_text
        finally:
            for someone in people:
                await someone.close()


def quoted(mail: EmailMessage) -> str:
    """The bulletin quoted under the answer, as a mail client does on Reply."""
    lines = "\n".join("> " + line for line in plain(mail).splitlines())
    return f"On Mon, 16 Nov 2026, prevnet <prevnet@prevnet.example> wrote:\n{lines}"


def send_reply(port: int, sender: str, to: str, text: str) -> tuple[int, bytes]:
    """Send a reply to prevnet's receiver as the member's mail server would; its DATA answer."""
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = to
    reply["Subject"] = "Re: bulletin"
    reply.set_content(text)
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.ehlo()
        client.mail(sender)
        code, answer = client.rcpt(to)
        if code >= 400:
            raise smtplib.SMTPRecipientsRefused({to: (code, answer)})
        return client.data(reply.as_bytes(policy=SMTP))  # CRLF lines, as on the wire
