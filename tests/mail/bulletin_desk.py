"""The alert desk of ``tests.support.alert_desk`` with bulletin e-mails wired to a real relay.

Every demo member gets an address (``<localpart>@partners.example``); a test chooses who wants
bulletins by e-mail, publishes alerts with chat commands and runs the ``email`` consumer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from phenomena.alert import Alert, AlertStatus, parse_ref
from phenomena.email_policy import EmailPreference
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from prevnet.dispatch import Dispatcher
from prevnet.mail.bulletin_delivery import MAIL_CONSUMER, Sender
from prevnet.mail.bulletin_mail import ChatLink
from prevnet.mail.bulletin_wiring import bulletin_mail_dispatcher
from prevnet.settings import Settings
from tests.mail.smtp_relay import Relay
from tests.support.alert_desk import Desk, user

DOMAIN = "partners.example"
SECRET = "s" * 40

GREEN = """!alert new
type: residential-burglary
area: Mons
from: 2026-11-14
to: 2026-11-20
tlp: {tlp}
summary: {summary}"""


def address(localpart: str) -> str:
    return f"{localpart}@{DOMAIN}"


@dataclass
class MailDesk:
    """A desk whose alerts are also mailed through ``relay``."""

    desk: Desk
    relay: Relay
    data_dir: Path
    worker: str = "mail-test"
    dispatchers: list[Dispatcher] = field(default_factory=list)

    @property
    def deliveries(self) -> SqlEmailDeliveries:
        return SqlEmailDeliveries(self.desk.db, self.desk.clock)

    def settings(self, relay_port: int | None = None) -> Settings:
        email = self.relay.settings(secret=SECRET)
        if relay_port is not None:
            email = self.relay.settings(secret=SECRET, smtp_port=relay_port)
        return Settings(data_dir=self.data_dir, email=email, public_url="https://prevnet.test")

    async def start(self) -> None:
        """Give every demo member an address, and register the e-mail consumer."""
        async with SqlUnitOfWork(self.desk.db.sessions, self.desk.clock) as unit:
            members = list(await unit.members.list())
            for member in members:
                member.change(
                    member.display_name,
                    member.organisation,
                    member.roles,
                    address(member.matrix_id[1:].split(":")[0]),
                )
                await unit.members.save(member)
            await unit.commit()
        await self.dispatcher()

    async def dispatcher(
        self,
        sender: Sender | None = None,
        relay_port: int | None = None,
        deliveries: SqlEmailDeliveries | None = None,
    ) -> Dispatcher:
        """A (new) dispatcher of the ``email`` consumer, as a restarted process makes it."""

        async def chat_link(alert: Alert, room: str) -> ChatLink:
            return ChatLink(f"!{room}:prevnet.test")

        async def source_of(alert: Alert) -> str:
            return await self.desk.desk.source(alert)

        found = await bulletin_mail_dispatcher(
            self.settings(relay_port),
            self.desk.db,
            self.desk.territories,
            chat_link,
            source_of,
            worker=self.worker,
            sender=sender,
            deliveries=deliveries,
            clock=self.desk.clock,
        )
        assert found is not None
        self.dispatchers.append(found)
        return found

    async def choose(self, localpart: str, choice: str) -> None:
        await self.deliveries.set_preference(user(localpart), EmailPreference(choice))

    async def publish(self, tlp: str, summary: str, author: str = "inspecteur.mons") -> str:
        """Draft and publish an alert; returns its reference."""
        reply = await self.desk.say(author, GREEN.format(tlp=tlp, summary=summary))
        assert reply is not None and reply.text.startswith("Draft "), reply
        ref = reply.text.split()[1].rstrip(":")
        await self.desk.say(author, f"!alert publish {ref}")  # answered by the delivery
        alert = await self.desk.alert(parse_ref(ref))
        assert alert.status is AlertStatus.PUBLISHED, alert.status
        return ref

    async def mail(self, dispatcher: Dispatcher | None = None) -> None:
        """Run the e-mail consumer until nothing is due (retries made due by the clock)."""
        run = dispatcher or self.dispatchers[-1]
        for _ in range(4):
            await run.run_once()
            self.desk.clock.now += timedelta(minutes=10)

    async def pending(self) -> int:
        return (await Outbox(self.desk.db, "look", consumer=MAIL_CONSUMER).stats()).pending

    def inbox(self, localpart: str) -> list[EmailMessage]:
        return self.relay.inbox.to(address(localpart))

    def addressees(self) -> set[str]:
        return {rcpt for r in self.relay.inbox.received for rcpt in r.rcpt_tos}
