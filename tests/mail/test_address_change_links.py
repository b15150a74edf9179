"""A member's e-mail address changes: the set-password links sent to the old one stop working.

Review finding: a link mailed to an address the admin has just corrected (perhaps one an attacker
had slipped in) stayed valid for its 72 hours.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from phenomena.events import MemberChanged
from phenomena.partners import Member
from phenomena.services import partners as use
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.password_links import LinkPurpose, LinkState, SqlPasswordLinks
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.mail.invitations import address_change_subscription
from tests.security.test_member_input_foreign_ids import registry_with_an_admin

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
ALICE = "@alice:prevnet.example"
BOT = "@prevnet:prevnet.example"


async def add(db: Database, member: Member) -> None:
    await use.add_member(
        SqlUnitOfWork(db.sessions), member, "t", NOW, server_name="prevnet.example", bot_id=BOT
    )


async def changes(db: Database) -> list[MemberChanged]:
    outbox = Outbox(db, "test")
    return [m.event for m in await outbox.claim() if isinstance(m.event, MemberChanged)]


async def test_a_new_address_ends_the_open_links_a_new_name_does_not(
    db: Database, territories: TerritoryRegistry
) -> None:
    alice = await registry_with_an_admin(db, territories)
    links = SqlPasswordLinks(db)
    handler = address_change_subscription(links)
    await changes(db)  # the import's events are not the point here

    kept = await links.issue(ALICE, LinkPurpose.INVITE)
    await add(db, replace(alice, display_name="A. D."))
    for event in await changes(db):
        await handler.handle(event)
    found = await links.look(kept)
    assert found is not None and found.state is LinkState.VALID

    await add(db, replace(alice, email="alice@zone.be"))
    [event] = await changes(db)
    assert "email" in event.fields
    await handler.handle(event)
    found = await links.look(kept)
    assert found is not None and found.state is LinkState.REPLACED
