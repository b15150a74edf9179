"""!member invite, !member reset and the never-logged-in mark of !member list, in #admin."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from bots.admin_commands import register_member_commands
from bots.commands import CommandRegistry, Context
from phenomena.partners import Member, Role
from phenomena.rooms import ADMIN
from phenomena.storage.database import Database
from phenomena.storage.unit_of_work import SqlUnitOfWork
from tests.mail.invitation_site import ANN, JEAN, seed_members

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
BOSS = Member("@boss:prevnet.localhost", "Boss", "pcs-mons", frozenset({Role.MEMBER, Role.ADMIN}))


def context() -> Context:
    return Context(BOSS.matrix_id, BOSS, "!admin:prevnet.localhost", ADMIN)


async def test_without_email_the_commands_say_which_setting_to_add(db: Database) -> None:
    await seed_members(db, JEAN, BOSS)
    registry = CommandRegistry()
    register_member_commands(registry, lambda: SqlUnitOfWork(db.sessions), lambda: NOW)
    for verb in ("invite", "reset"):
        reply = await registry.dispatch(context(), f"!member {verb} {JEAN.matrix_id}")
        assert reply is not None
        assert "Not sent" in reply.text and "[email]" in reply.text and "smtp_host" in reply.text
    added = await registry.dispatch(
        context(),
        "!member add @new:prevnet.localhost org=pcs-mons name=New email=new@mons.example",
    )
    assert added is not None and "No invitation is sent" in added.text


async def test_links_are_sent_and_never_logged_in_members_marked(db: Database) -> None:
    await seed_members(db, JEAN, ANN, BOSS)
    sent: list[tuple[str, str]] = []

    async def send_link(matrix_id: str, purpose: str) -> str:
        sent.append((matrix_id, purpose))
        return f"link for {matrix_id} sent"

    async def never(ids: Iterable[str]) -> set[str]:
        return {i for i in ids if i == ANN.matrix_id}

    registry = CommandRegistry()
    register_member_commands(
        registry,
        lambda: SqlUnitOfWork(db.sessions),
        lambda: NOW,
        send_link=send_link,
        never_logged_in=never,
    )
    reply = await registry.dispatch(context(), f"!member invite {JEAN.matrix_id}")
    assert reply is not None and reply.text == f"link for {JEAN.matrix_id} sent."
    await registry.dispatch(context(), f"!member reset {ANN.matrix_id}")
    assert sent == [(JEAN.matrix_id, "invite"), (ANN.matrix_id, "reset")]
    listing = await registry.dispatch(context(), "!member list")
    assert listing is not None
    [ann_line] = [line for line in listing.text.splitlines() if ANN.matrix_id in line]
    [jean_line] = [line for line in listing.text.splitlines() if JEAN.matrix_id in line]
    assert "[never logged in]" in ann_line and "never" not in jean_line
    assert "1 never logged in: !member invite @id sends a new link." in listing.text
    added = await registry.dispatch(
        context(),
        "!member add @new:prevnet.localhost org=pcs-mons name=New email=new@mons.example",
    )
    assert added is not None and "An invitation goes to new@mons.example" in added.text


async def test_a_malformed_address_is_refused_before_anything_changes(db: Database) -> None:
    await seed_members(db, BOSS)
    registry = CommandRegistry()
    register_member_commands(registry, lambda: SqlUnitOfWork(db.sessions), lambda: NOW)
    reply = await registry.dispatch(
        context(), "!member add @new:prevnet.localhost org=pcs-mons name=New email=new.mons"
    )
    assert reply is not None and "is not an e-mail address" in reply.text
    async with SqlUnitOfWork(db.sessions) as unit:
        assert await unit.members.get("@new:prevnet.localhost") is None


async def test_adding_someone_already_a_member_points_to_invite(db: Database) -> None:
    await seed_members(db, JEAN, BOSS)

    async def send_link(matrix_id: str, purpose: str) -> str:
        return "sent"

    registry = CommandRegistry()
    register_member_commands(
        registry, lambda: SqlUnitOfWork(db.sessions), lambda: NOW, send_link=send_link
    )
    again = await registry.dispatch(
        context(),
        f"!member add {JEAN.matrix_id} org=pcs-mons name=Jean email=jean@mons.example",
    )
    assert again is not None and "They were a member already: !member invite" in again.text
    assert "An invitation goes" not in again.text
