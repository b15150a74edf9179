"""Escalation on a real database without a homeserver: the demo registry's alert desk, the
scheduler's round with a test clock, and the outbox handlers posting to a recorder (and, with a
relay, mailing through the real SMTP sender)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from bots.escalation_posts import EscalationPosts
from phenomena.alert import Alert, parse_ref
from phenomena.escalation import FIRED, EscalationFired, Timers
from phenomena.notify_prefs import NotifyPreference
from phenomena.partners import Member
from phenomena.storage.duty import SqlDutyRota
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.escalations import SqlEscalations
from phenomena.storage.notify_prefs import SqlNotifyPreferences
from phenomena.storage.outbox import Outbox
from phenomena.storage.schema import AlertRow
from phenomena.storage.schema_attention import DutyPeriodRow
from phenomena.storage.unit_of_work import SqlUnitOfWork
from prevnet.dispatch import Dispatcher, Subscription
from prevnet.escalation_job import EscalationJob
from prevnet.escalation_mail import EscalationMailer, escalation_mail_subscription
from prevnet.mail.sender import SmtpSender
from prevnet.settings import EmailSettings
from tests.support.alert_desk import Desk, ref_in, user

TIMERS = Timers(ack_urgent=30, ack_normal=60, moderation=60)


@dataclass(frozen=True)
class Said:
    """One escalation post: the room ID, the whole content, the transaction ID."""

    room: str
    content: dict[str, Any]
    tx_id: str

    @property
    def body(self) -> str:
        return str(self.content.get("body", ""))

    @property
    def mentions(self) -> list[str]:
        return list(self.content.get("m.mentions", {}).get("user_ids", []))

    @property
    def thread(self) -> str | None:
        relation = self.content.get("m.relates_to") or {}
        return relation.get("event_id") if relation.get("rel_type") == "m.thread" else None


@dataclass
class Escalations:
    """The round and its handlers around a :class:`Desk`."""

    desk: Desk
    email: EmailSettings | None = None
    said: list[Said] = field(default_factory=list)

    def __post_init__(self) -> None:
        db, clock = self.desk.db, self.desk.clock
        self.store = SqlEscalations(db, clock)
        self.preferences = SqlNotifyPreferences(db, clock)

    def job(self) -> EscalationJob:
        """A new job, as a restarted ``prevnet up`` makes (nothing kept in memory)."""
        desk = self.desk

        async def bulletin_rooms(alert_id: int) -> list[str]:
            return list((await desk.ledger.bulletins(alert_id)).keys())

        async def wanted(members: Any) -> dict[str, NotifyPreference]:
            return await self.preferences.get_many(members)

        return EscalationJob(
            store=self.store,
            uow=lambda: SqlUnitOfWork(desk.db.sessions, desk.clock),
            territories=desk.territories,
            timers=TIMERS,
            timezone="Europe/Brussels",
            on_duty=self.on_duty_now,
            bulletin_rooms=bulletin_rooms,
            preferences=wanted,
            email=self.email is not None,
            clock=desk.clock,
        )

    async def on_duty_now(self, scope: str, areas: Any, at: datetime) -> list[str]:
        """The rota's answer, as ``prevnet up`` wires it."""
        return [p.member for p in await SqlDutyRota(self.desk.db).on_duty(scope, areas, at)]

    async def detail_of(self, alert_id: int, kind: str, level: int) -> dict[str, Any] | None:
        step = await self.store.step(alert_id, kind, level)
        return step.detail if step is not None and step.state == FIRED else None

    async def alert_of(self, alert_id: int) -> Alert | None:
        async with SqlUnitOfWork(self.desk.db.sessions) as unit:
            return await unit.alerts.get(alert_id)

    async def member_of(self, matrix_id: str) -> Member | None:
        async with SqlUnitOfWork(self.desk.db.sessions) as unit:
            return await unit.members.get(matrix_id)

    async def round(self, at: datetime | None = None) -> list[Said]:
        """Set the clock, run one round and deliver its events; what was posted this time."""
        if at is not None:
            self.desk.clock.now = at
        before = len(self.said)
        await self.job().run()
        desk = self.desk

        async def post(room_id: str, content: dict[str, Any], **kwargs: Any) -> str:
            self.said.append(Said(room_id, content, str(kwargs.get("tx_id"))))
            return f"$escalation-{len(self.said)}"

        async def room_id_of(key: str) -> str | None:
            return f"!{key}" if key in desk.existing else None

        posts = EscalationPosts(
            post,
            self.detail_of,
            self.alert_of,
            desk.ledger.bulletins,
            desk.ledger.moderation_notice,
            room_id_of,
            desk.territories,
        )
        subscriptions = [Subscription("matrix-escalations", (EscalationFired,), posts.handle)]
        if self.email is not None:
            mailer = EscalationMailer(
                SmtpSender(self.email),
                SqlEmailDeliveries(desk.db, desk.clock),
                self.detail_of,
                self.alert_of,
                self.member_of,
                desk.territories,
            )
            subscriptions.append(escalation_mail_subscription(mailer))
        outbox = Outbox(desk.db, "escalation-test", desk.clock)
        dispatcher = Dispatcher(outbox, subscriptions, clock=desk.clock)
        while await dispatcher.run_once():
            pass
        return self.said[before:]

    async def on_duty(self, localpart: str, scope: str, area: str, hours: float = 48) -> None:
        """Put a demo member on duty from now for ``hours``."""
        now = self.desk.clock()
        async with self.desk.db.sessions() as session, session.begin():
            session.add(
                DutyPeriodRow(
                    scope=scope,
                    area=area,
                    member=user(localpart),
                    starts_at=now - timedelta(hours=1),
                    ends_at=now + timedelta(hours=hours),
                    set_by=user("admin"),
                    set_at=now,
                    source="cli",
                )
            )

    async def set_priority(self, alert_id: int, priority: str) -> None:
        """Give an alert a priority (what the author's ``priority:`` line records)."""
        async with self.desk.db.sessions() as session, session.begin():
            await session.execute(
                update(AlertRow).where(AlertRow.id == alert_id).values(priority=priority)
            )


async def publish(desk: Desk, who: str, text: str) -> int:
    """``who`` writes and publishes an alert in their direct chat; it is delivered."""
    ref = ref_in(await desk.say(who, text))
    await desk.say(who, f"!alert publish {ref}")
    await desk.deliver()
    return parse_ref(ref)


def green(summary: str, area: str = "Mons", tlp: str = "green") -> str:
    return f"""!alert new
type: residential-burglary
area: {area}
from: 2026-11-20
to: 2026-12-20
tlp: {tlp}
summary: {summary}"""
