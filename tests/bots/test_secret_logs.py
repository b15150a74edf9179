"""Logs never carry an alert's text (it may be TLP:RED): not from a failed command, not from a
database error."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import IntegrityError

from bots.commands import Arguments, CommandRegistry, Context, Reply
from phenomena.partners import Member, Role
from phenomena.storage.database import Database
from phenomena.storage.schema import ProcessedCommandRow
from phenomena.storage.unit_of_work import utc_now

SECRET = "Suspect plate 1-RED-999 and informant name"


async def test_a_failing_command_logs_its_name_not_its_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = CommandRegistry()

    @registry.command("alert", help="alerts", raw=True)
    async def broken(context: Context, args: Arguments) -> Reply:
        raise RuntimeError("boom")

    member = Member("@a:x", "A", "org", frozenset({Role.MEMBER, Role.AUTHOR}))
    context = Context(sender="@a:x", member=member, room_id="!r:x", room_key=None)
    with caplog.at_level(logging.ERROR):
        reply = await registry.dispatch(context, f"!alert new\ntlp: red\nsummary: {SECRET}")
    assert reply is not None and "went wrong" in reply.text
    assert "alert" in caplog.text
    assert "1-RED-999" not in caplog.text


async def test_database_errors_do_not_print_the_values(db: Database) -> None:
    async with db.sessions() as session, session.begin():
        session.add(ProcessedCommandRow(event_id=SECRET, at=utc_now()))
    with pytest.raises(IntegrityError) as caught:
        async with db.sessions() as session, session.begin():
            session.add(ProcessedCommandRow(event_id=SECRET, at=utc_now()))
    assert "1-RED-999" not in str(caught.value)
