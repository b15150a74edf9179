"""The alert commands and their deliveries on a real database, without a homeserver.

Members type commands as the bot would hand them over (who, where, who else reads the room);
deliveries go through the real outbox and ``AlertDelivery`` to a recording ``post``, so a test
can say which room got which text. The demo registry of ``prevnet up --demo`` is loaded.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bots.alert_commands import register_alert_commands
from bots.alert_desk import AlertDesk
from bots.commands import CommandRegistry, Context, Reply
from bots.delivery import ALERT_EVENTS, AlertDelivery
from phenomena.alert import Alert
from phenomena.partners import Member
from phenomena.partners_file import parse_partner_file
from phenomena.room_keys import direct_key
from phenomena.rooms import room_catalogue
from phenomena.services.alerts import ModerationPolicy
from phenomena.services.partners import import_partners
from phenomena.storage.bulletins import BulletinRecord, SqlBulletinLedger
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.demo import demo_registry_text
from prevnet.dispatch import Dispatcher, Subscription

SERVER = "prevnet.test"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Posted:
    """One message the delivery sent: the room ID (``!zone:5324``, ``!dm:@x``) and its body."""

    room: str
    body: str
    tx_id: str | None
    content: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class FakeAlertRooms:
    """``AlertRooms`` as ``MatrixNetwork`` implements it, remembering who each room is for."""

    members: dict[str, frozenset[str]] = field(default_factory=dict)
    closed: dict[str, str] = field(default_factory=dict)

    async def alert_room(self, key: str, name: str, topic: str, members: Collection[str]) -> str:
        self.members.setdefault(key, frozenset(members))  # made once, nobody added later
        return f"!{key}"

    async def close_alert_room(self, key: str, name: str) -> None:
        self.closed[key] = name


def user(localpart: str) -> str:
    return f"@{localpart}:{SERVER}"


def direct(matrix_id: str) -> str:
    """The room ID the fakes give a member's direct chat."""
    return f"!dm:{matrix_id}"


@dataclass
class Desk:
    """The demo registry, the alert commands, and a delivery that records what it sends."""

    db: Database
    territories: TerritoryRegistry
    clock: Clock = field(default_factory=Clock)
    registry: CommandRegistry = field(default_factory=CommandRegistry)
    posted: list[Posted] = field(default_factory=list)
    rooms: FakeAlertRooms = field(default_factory=FakeAlertRooms)
    existing: set[str] = field(default_factory=set)
    _events: int = 0

    def __post_init__(self) -> None:
        self.ledger = SqlBulletinLedger(self.db, self.clock)
        self.desk = AlertDesk(
            uow=lambda once: SqlUnitOfWork(self.db.sessions, self.clock, once=once),
            territories=self.territories,
            policy=ModerationPolicy(),
            clock=self.clock,
            ledger=self.ledger,
            room_exists=self._room_exists,
        )
        register_alert_commands(self.registry, self.desk)

    async def _room_exists(self, key: str) -> bool:
        return key in self.existing

    async def load_demo(self) -> None:
        document = parse_partner_file(demo_registry_text(SERVER), self.territories)
        await import_partners(
            SqlUnitOfWork(self.db.sessions, self.clock), document, "t", self.clock()
        )
        async with SqlUnitOfWork(self.db.sessions) as uow:
            organisations = list(await uow.organisations.list())
        self.existing = set(room_catalogue(organisations, self.territories))

    async def member(self, localpart: str) -> Member:
        async with SqlUnitOfWork(self.db.sessions) as uow:
            found = await uow.members.get(user(localpart))
        assert found is not None, localpart
        return found

    async def say(
        self,
        who: str,
        text: str,
        room: str | None = None,
        readers: Iterable[str] | None = None,
    ) -> Reply | None:
        """``who`` types ``text`` in the managed room ``room`` (None: their direct chat).

        ``readers`` are localparts of others the bot's client sees in the room (a direct
        chat has none).
        """
        member = await self.member(who)
        self._events += 1
        others = {user(r) for r in readers or ()}
        context = Context(
            sender=member.matrix_id,
            member=member,
            room_id=f"!{room}" if room else direct(member.matrix_id),
            room_key=room or direct_key(member.matrix_id),  # as bots.network keys it
            event_id=f"$event-{self._events}",
            audience=frozenset({member.matrix_id} | others),
        )
        return await self.registry.dispatch(context, text)

    async def alert(self, alert_id: int) -> Alert:
        async with SqlUnitOfWork(self.db.sessions) as uow:
            found = await uow.alerts.get(alert_id)
        assert found is not None
        return found

    async def deliver(self) -> list[Posted]:
        """Run the outbox until nothing is left; return what was sent this time."""
        before = len(self.posted)

        async def post(room_id: str, content: dict[str, Any], **kwargs: Any) -> str:
            body = str(content.get("body", ""))
            new = content.get("m.new_content")
            if isinstance(new, dict):
                body += "\n" + str(new.get("body", ""))
            self.posted.append(Posted(room_id, body, kwargs.get("tx_id"), content))
            return f"$sent-{len(self.posted)}"

        async def room_id_of(key: str) -> str | None:
            return f"!{key}" if key in self.existing else None

        async def alert_of(alert_id: int) -> Alert | None:
            async with SqlUnitOfWork(self.db.sessions) as uow:
                return await uow.alerts.get(alert_id)

        async def source_of(alert: Alert) -> str:
            return await self.desk.source(alert)

        async def direct_room_of(matrix_id: str) -> str:
            return direct(matrix_id)

        delivery = AlertDelivery(
            post=post,
            room_id_of=room_id_of,
            alert_of=alert_of,
            source_of=source_of,
            ledger=self.ledger,
            record=BulletinRecord,
            territories=self.territories,
            rooms=self.rooms,
            uow=lambda: SqlUnitOfWork(self.db.sessions, self.clock),
            direct_room_of=direct_room_of,
        )
        outbox = Outbox(self.db, "test", self.clock)
        dispatcher = Dispatcher(
            outbox,
            [Subscription("matrix-bulletins", ALERT_EVENTS, delivery.handle)],
            clock=self.clock,
        )
        for _ in range(3):
            await dispatcher.run_once()
            self.clock.now += timedelta(minutes=10)
        assert (await outbox.stats()).pending == 0, "a delivery failed"
        return self.posted[before:]


def ref_in(reply: Reply | None) -> str:
    """The alert reference a draft reply names (``Draft A-3: ...``)."""
    assert reply is not None
    return reply.text.split()[1].rstrip(":")
