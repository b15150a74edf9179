"""The escalation e-mail against a real SMTP relay: the on-duty member gets one, in the room's
language, with a GREEN alert's summary, and a retried event mails nobody twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from phenomena.escalation import EscalationFired
from phenomena.storage.database import Database
from phenomena.storage.schema import MemberRow
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from tests.mail.smtp_relay import Relay, relay
from tests.mail.support import plain
from tests.support.alert_desk import Desk, user
from tests.support.escalation import Escalations, green, publish

__all__ = ["relay"]


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


async def test_the_on_duty_member_gets_one_mail_in_the_rooms_language(
    desk: Desk, relay: Relay
) -> None:
    escalations = Escalations(desk, email=relay.settings())
    start = desk.clock()
    alert_id = await publish(desk, "inspecteur.mons", green("Rear doors forced in Hyon."))
    await escalations.on_duty("prevention.quevy", "zone", "5324")
    async with desk.db.sessions() as session, session.begin():
        await session.execute(
            update(MemberRow)
            .where(MemberRow.matrix_id == user("prevention.quevy"))
            .values(email="sophie@quevy.example")
        )

    await escalations.round(start + timedelta(minutes=61))
    [mail] = relay.inbox.to("sophie@quevy.example")
    assert f"A-{alert_id}" in str(mail["Subject"]) and "sans accusé" in str(mail["Subject"])
    assert "Rear doors forced in Hyon." in plain(mail)  # GREEN: in full
    assert "zone:5324" in plain(mail)

    # the same event handled again (a retry after a crash) sends nothing more
    async with SqlUnitOfWork(desk.db.sessions, desk.clock) as unit:
        unit.record(EscalationFired(alert_id=alert_id, kind="ack", level=1))
        await unit.commit()
    await escalations.round()
    assert len(relay.inbox.to("sophie@quevy.example")) == 1
