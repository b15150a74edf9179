"""Any message at all gets nothing or a reply from the command handler, never an exception."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bots.admin_commands import register_member_commands, register_reconcile_command
from bots.alert_commands import register_alert_commands
from bots.alert_desk import AlertDesk
from bots.commands import CommandRegistry, Context, Reply
from phenomena.partners import Member
from phenomena.partners_file import parse_partner_file
from phenomena.services.alerts import ModerationPolicy
from phenomena.services.partners import import_partners
from phenomena.storage.bulletins import SqlBulletinLedger
from phenomena.storage.database import Database, sqlite_url
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from tests.unit.test_partners_file import GOOD

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)


@dataclass
class Environment:
    loop: asyncio.AbstractEventLoop
    registry: CommandRegistry
    admin: Member
    reader: Member


@pytest.fixture(scope="module")
def env(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, territories: TerritoryRegistry
) -> Iterator[Environment]:
    loop = asyncio.new_event_loop()
    path = tmp_path_factory.mktemp("fuzz") / "prevnet.sqlite3"
    shutil.copy(sqlite_template, path)
    db = Database.connect(sqlite_url(path))
    text = GOOD.replace("roles: [author, moderator]", "roles: [author, moderator, admin]")

    async def setup() -> tuple[Member, Member]:
        await import_partners(
            SqlUnitOfWork(db.sessions), parse_partner_file(text, territories), "t", NOW
        )
        async with SqlUnitOfWork(db.sessions) as uow:
            admin = await uow.members.get("@alice:prevnet.example")
            reader = await uow.members.get("@bob:prevnet.example")
        assert admin is not None and reader is not None
        return admin, reader

    admin, reader = loop.run_until_complete(setup())
    registry = CommandRegistry()
    register_member_commands(registry, lambda: SqlUnitOfWork(db.sessions), lambda: NOW)

    async def reconcile() -> str:
        return "Reconciliation: nothing to do."

    register_reconcile_command(registry, reconcile)
    desk = AlertDesk(
        uow=lambda once: SqlUnitOfWork(db.sessions, once=once),
        territories=territories,
        policy=ModerationPolicy(),
        clock=lambda: NOW,
        ledger=SqlBulletinLedger(db),
    )
    register_alert_commands(registry, desk)
    yield Environment(loop, registry, admin, reader)
    loop.run_until_complete(db.close())
    loop.close()


COMMANDS = [
    "!alert new",
    "!alert publish",
    "!alert cancel",
    "!alert update",
    "!alert close",
    "!alert show",
    "!alert list",
    "!alert reach",
    "!approve",
    "!reject",
    "!member add",
    "!member remove",
    "!member suspend",
    "!member reinstate",
    "!member role",
    "!member list",
    "!reconcile",
    "!help",
    "!",
    "!!",
]
FIELDS = ["type", "area", "from", "to", "tlp", "summary", "modus", "advice", "du", "zone"]
messages = st.one_of(
    st.text(max_size=80),
    st.text(max_size=80).map(lambda t: "!" + t),
    st.tuples(st.sampled_from(COMMANDS), st.text(max_size=60)).map(" ".join),
    st.tuples(
        st.sampled_from(["!alert new", "!alert update A-1", "!alert update 1"]),
        st.lists(
            st.tuples(st.sampled_from(FIELDS), st.text(max_size=30)).map(": ".join), max_size=8
        ),
    ).map(lambda c: c[0] + "\n" + "\n".join(c[1])),
    st.sampled_from(["A-1", "A-999999999999", '"', "'", "org=", 'name="', "\x00", "\u202e"]).map(
        lambda t: f"!member add @x:y {t}"
    ),
)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=messages, as_admin=st.booleans(), room=st.sampled_from([None, "admin", "zone:5324"]))
def test_any_message_gets_nothing_or_a_reply(
    env: Environment, body: str, as_admin: bool, room: str | None
) -> None:
    member = env.admin if as_admin else env.reader
    context = Context(
        sender=member.matrix_id, member=member, room_id="!r:x", room_key=room, event_id=None
    )
    reply = env.loop.run_until_complete(env.registry.dispatch(context, body))
    assert reply is None or (isinstance(reply, Reply) and reply.text.strip())
    if reply is not None:
        assert "Something went wrong on our side" not in reply.text, (body, reply.text)


def test_strangers_get_nothing(env: Environment) -> None:
    context = Context(sender="@mallory:evil", member=None, room_id="!r:x", room_key=None)
    for body in ("!help", "!alert list", "!member list", "hello"):
        assert env.loop.run_until_complete(env.registry.dispatch(context, body)) is None
