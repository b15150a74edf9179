"""E-mail benchmark: one GREEN alert to 1,000 e-mail members through the outbox, against raw sends.

prevnet's interval starts when the published alert is committed and ends when the ``email``
outbox consumer has handed the last mail to the relay and recorded it: claiming the event,
reading the members and their choices, writing each mail (one template per routed room, then
each member's address, Message-ID, reply address and links), and, a chunk of 100 at a time,
claiming the chunk's mails under their Message-IDs in one commit that also records the previous
chunk's fates, then sending it over the one connection (``SmtpSender.connection``) the whole
event uses; then recording the last chunk and the event. The floor, in the same run, to the same
real SMTP server on 127.0.0.1 (aiosmtpd's controller, in a thread of this process as for
prevnet), sends the very bytes prevnet's run delivered, with the same envelopes, over one
aiosmtplib connection: connect and EHLO, then ``sendmail`` (MAIL, RCPT, DATA) per mail, then
QUIT. It writes nothing and touches no database: what no sender of these mails can beat.
Target: at most 1.3.

    python -m benchmarks.email [--members 1000] [--repeat 3] [--database postgres]

Each figure is the median of ``--repeat`` rounds after one warm-up round, each round a new alert,
prevnet then its floor, each side started after a garbage collection so neither pays for the
other's leftovers. Beside the ratio of elapsed times (the target's), the median ratio of this
process's CPU seconds: steadier on a busy machine, but blind to waits such as PostgreSQL's fsync.
Bounded: one relay, a fixed number of alerts, everything stopped at the end; a round in which
any member gets no mail, or two, fails the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiosmtplib
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from benchmarks.common import (
    SERVER,
    add_database_option,
    free_port,
    parser,
    police_zone,
    ratio,
)
from benchmarks.common import database as migrated_database
from phenomena.alert import Alert, AlertStatus
from phenomena.alert_text import parse_alert_text
from phenomena.email_policy import EmailPreference
from phenomena.partners import Member, Role
from phenomena.partners_file import PartnerDocument
from phenomena.services.alerts import ModerationPolicy, create_alert
from phenomena.services.partners import import_partners
from phenomena.storage.bulletins import SqlBulletinLedger
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.unit_of_work import SqlUnitOfWork, utc_now
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Dispatcher
from prevnet.mail.bulletin_wiring import bulletin_mail_dispatcher, chat_links
from prevnet.reference import load_territories
from prevnet.settings import EmailSettings, Settings

DOMAIN = "partners.example"
MAX_RUNS = 100  # outbox batches per round before the consumer is taken to be stuck


@dataclass(frozen=True)
class Delivered:
    """One message the relay accepted, as it came: envelope and bytes."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes


@dataclass
class Mailbox:
    """The relay's handler: keeps what arrives and nothing more, so it costs both sides little."""

    received: list[Delivered] = field(default_factory=list)

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        mail_from = str(envelope.mail_from)
        self.received.append(
            Delivered(mail_from, tuple(envelope.rcpt_tos), envelope.original_content or b"")
        )
        return "250 Message accepted"

    def take(self) -> list[Delivered]:
        """What arrived since the last call."""
        taken, self.received = self.received, []
        return taken


@contextlib.contextmanager
def relay() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on a free port of 127.0.0.1, stopped after."""
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@dataclass(frozen=True)
class Round:
    """One alert: prevnet's and the floor's seconds, and how many mails each address got."""

    prevnet: float
    floor: float
    prevnet_cpu: float  # CPU seconds of this process (prevnet, relay and SQLite threads)
    floor_cpu: float
    prevnet_mails: Counter[str]
    floor_mails: Counter[str]
    delivered: tuple[Delivered, ...]


@dataclass(frozen=True)
class Result:
    """The rounds measured (the warm-up left out) and the addresses that should get mail."""

    rounds: tuple[Round, ...]
    addresses: frozenset[str]

    @property
    def prevnet(self) -> float:
        return statistics.median(r.prevnet for r in self.rounds)

    @property
    def floor(self) -> float:
        return statistics.median(r.floor for r in self.rounds)

    @property
    def cpu_ratio(self) -> float:
        """prevnet's CPU seconds over the floor's, median of the rounds: steadier than the
        elapsed times on a busy machine, blind to waits (a PostgreSQL server's fsync)."""
        return statistics.median(r.prevnet_cpu / r.floor_cpu for r in self.rounds)


def address(n: int) -> str:
    return f"reader-{n:04d}@{DOMAIN}"


def readers(count: int, organisation: str) -> list[Member]:
    """``count`` members of ``organisation``, each with an address."""
    return [
        Member(
            f"@reader-{n:04d}:{SERVER}",
            f"Reader {n}",
            organisation,
            frozenset({Role.MEMBER}),
            address(n),
        )
        for n in range(count)
    ]


def mailed(delivered: Sequence[Delivered]) -> Counter[str]:
    return Counter(rcpt for d in delivered for rcpt in d.rcpt_tos)


def check(side: str, got: Counter[str], addresses: frozenset[str]) -> None:
    """Every address got exactly one mail, or the figure means nothing."""
    wrong = {a: got.get(a, 0) for a in addresses | set(got) if got.get(a, 0) != 1}
    if wrong:
        shown = ", ".join(f"{a}: {n}" for a, n in sorted(wrong.items())[:5])
        raise RuntimeError(
            f"{side}: {len(wrong)} address(es) did not get exactly one mail ({shown})"
        )


async def floor_send(port: int, delivered: Sequence[Delivered]) -> float:
    """Seconds to send ``delivered`` again as they are over one aiosmtplib connection."""
    start = time.perf_counter()
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
    await client.connect()
    for d in delivered:
        await client.sendmail(d.mail_from, list(d.rcpt_tos), d.content)
    await client.quit()
    return time.perf_counter() - start


async def drain(dispatcher: Dispatcher) -> None:
    """Run the consumer until no event is due (bounded)."""
    for _ in range(MAX_RUNS):
        if not await dispatcher.run_once():
            return
    raise RuntimeError(f"the email consumer still had events after {MAX_RUNS} batches")


async def measure(
    db: Database,
    data: Path,
    territories: TerritoryRegistry,
    members: int,
    repeat: int,
) -> Result:
    """Set up ``members`` e-mail members of one police zone, then time one warm-up and
    ``repeat`` rounds of prevnet and its floor; ``db`` is migrated and empty."""
    zone = sorted(territories.zones)[0]
    org = police_zone(territories, zone)
    author = Member(f"@author:{SERVER}", "Author", org.key, frozenset({Role.MEMBER, Role.AUTHOR}))
    people = readers(members, org.key)
    await import_partners(
        SqlUnitOfWork(db.sessions),
        PartnerDocument((org,), (author, *people), {}),
        "bench",
        utc_now(),
    )
    deliveries = SqlEmailDeliveries(db)
    for person in people:
        await deliveries.set_preference(person.matrix_id, EmailPreference.ALL)
    addresses = frozenset(address(n) for n in range(members))
    text = parse_alert_text(
        f"type: residential-burglary\narea: {territories.zones[zone].municipalities[0]}\n"
        "from: 2026-11-20\ntlp: green\nsummary: Rear doors forced in daylight.\n",
        territories,
    )

    async def source_of(alert: Alert) -> str:
        return f"{org.name} (Author)"  # prevnet reads it once per alert: nothing to time

    async def room_id_of(key: str) -> str | None:
        return f"!{key}:{SERVER}"

    rounds = []
    with relay() as (mailbox, port):
        email = EmailSettings(
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_starttls=False,
            from_address="prevnet <prevnet@prevnet.example>",
            secret="b" * 40,
        )
        settings = Settings(data_dir=data, email=email, public_url="https://prevnet.example")
        # as prevnet up wires it: chat links read the bulletin ledger, mail by mail
        found = await bulletin_mail_dispatcher(
            settings,
            db,
            territories,
            chat_links(SqlBulletinLedger(db), room_id_of),
            source_of,
            worker="bench",
        )
        assert found is not None
        dispatcher = found
        for _ in range(repeat + 1):
            alert, _route = await create_alert(
                SqlUnitOfWork(db.sessions),
                text,
                author.matrix_id,
                territories,
                ModerationPolicy(),
                utc_now(),
            )
            if alert.status is not AlertStatus.PUBLISHED:
                raise RuntimeError(f"{alert.ref} was not published at once: {alert.status}")
            gc.collect()  # neither side pays for the other's garbage
            cpu = time.process_time()
            start = time.perf_counter()  # the alert and its events are committed
            await drain(dispatcher)
            ours = time.perf_counter() - start
            ours_cpu = time.process_time() - cpu
            delivered = tuple(mailbox.take())
            check("prevnet", mailed(delivered), addresses)
            gc.collect()
            cpu = time.process_time()
            floor = await floor_send(port, delivered)
            floor_cpu = time.process_time() - cpu
            again = mailbox.take()
            check("floor", mailed(again), addresses)
            rounds.append(
                Round(ours, floor, ours_cpu, floor_cpu, mailed(delivered), mailed(again), delivered)
            )
    return Result(tuple(rounds[1:]), addresses)


async def main(members: int, repeat: int, database: str) -> None:
    with tempfile.TemporaryDirectory(prefix="prevnet-email-") as root:
        async with migrated_database(database, Path(root)) as db:
            result = await measure(db, Path(root), load_territories(Settings()), members, repeat)
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(
        f"{'members':>7} {'prevnet ms':>11} {'floor ms':>9} {'ratio':>6} {'cpu ratio':>9}"
        f"  ({database}; load {load})"
    )
    print(
        f"{members:>7} {1000 * result.prevnet:>11.0f} {1000 * result.floor:>9.0f}"
        f" {ratio(result.prevnet, result.floor):>6} {result.cpu_ratio:>8.2f}x"
    )


if __name__ == "__main__":
    options = parser(__doc__)
    options.add_argument("--members", type=int, default=1000, help="e-mail members (1000)")
    options.add_argument("--repeat", type=int, default=3, help="rounds; medians are printed")
    add_database_option(options)
    asyncio.run(main(**vars(options.parse_args())))
