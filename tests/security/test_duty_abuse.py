"""The duty rota against the network's own members: nobody without the role takes duty, duty is
taken only for the room's own area, a replayed command stores nothing twice, and a rota file
cannot put an account of another server (or the bot) on duty."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bots.commands import Context
from phenomena.storage.database import Database
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.cli import cli
from prevnet.duty_wiring import DutyService, duty_service
from tests.support.alert_desk import Desk, user

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> tuple[Desk, DutyService]:
    found = Desk(db, territories)
    await found.load_demo()

    async def member_of(matrix_id: str) -> Any:
        async with SqlUnitOfWork(db.sessions) as unit:
            return await unit.members.get(matrix_id)

    duty = duty_service(db, territories, member_of, "Europe/Brussels", found.clock)
    duty.register(found.registry)
    return found, duty


async def test_a_plain_member_cannot_take_duty(desk: tuple[Desk, DutyService]) -> None:
    room, duty = desk
    for key in ("zone:5324", "province:50000"):
        reply = await room.say("prevention.quevy", "!duty take 2h", room=key)
        assert reply is not None and "needs the author or moderator role" in reply.text
    federal = await room.say("federal", "!duty take", room="province:50000")  # role: member
    assert federal is not None and "needs the author or moderator role" in federal.text
    assert await duty.rota.upcoming(room.clock.now) == []


async def test_duty_is_taken_only_for_the_rooms_own_area(desk: tuple[Desk, DutyService]) -> None:
    room, duty = desk
    for key in ("moderation", "admin", "toolbox", "alert:3", None):  # None: the direct chat
        reply = await room.say("analyste.mons", "!duty take", room=key)
        assert reply is not None and "works in a zone or province room" in reply.text, key
    # words after take are its end, never another area: "zone 5449" is not a time
    reply = await room.say("analyste.mons", "!duty take zone 5449", room="zone:5324")
    assert reply is not None and "is not an end" in reply.text
    member = await room.member("analyste.mons")
    unmanaged = Context(member.matrix_id, member, "!squatted:x", None, "$e1", None)
    assert await room.registry.dispatch(unmanaged, "!duty take") is None  # no answer at all
    assert await duty.rota.upcoming(room.clock.now) == []


async def test_duty_cannot_be_taken_for_ever_or_in_the_past(desk: tuple[Desk, DutyService]) -> None:
    room, duty = desk
    long = await room.say("analyste.mons", "!duty take 30d", room="zone:5324")
    assert long is not None and "at most 7 days" in long.text
    past = await room.say("analyste.mons", "!duty take 2026-01-01 08:00", room="zone:5324")
    assert past is not None and "has already passed" in past.text
    assert await duty.rota.upcoming(room.clock.now) == []


async def test_a_replayed_take_is_stored_once_and_silent(desk: tuple[Desk, DutyService]) -> None:
    room, duty = desk
    member = await room.member("inspecteur.mons")
    context = Context(member.matrix_id, member, "!zone:5324", "zone:5324", "$same", None)
    first = await room.registry.dispatch(context, "!duty take 2h")
    assert first is not None and "C'est fait" in first.text
    room.clock.now += timedelta(minutes=1)  # the sync replayed after a crash, a minute later
    assert await room.registry.dispatch(context, "!duty take 3h") is None
    assert len(await duty.rota.upcoming(room.clock.now)) == 1


async def test_duty_in_one_zone_room_tells_nothing_of_another(
    desk: tuple[Desk, DutyService],
) -> None:
    room, _ = desk
    await room.say("analyste.boraine", "!duty take 8h", room="zone:5327")
    mons = await room.say("prevention.quevy", "!duty", room="zone:5324")
    assert mons is not None and "Nadia" not in mons.text and "5327" not in mons.text
    boraine = await room.say("prevention.frameries", "!duty", room="zone:5327")
    assert boraine is not None and user("analyste.boraine") in boraine.text


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, ["--data-dir", str(tmp_path / "data"), *args])

    assert invoke("partners", "import", str(EXAMPLES / "partners.yaml")).exit_code == 0
    return invoke


def test_a_rota_file_cannot_put_a_foreign_account_or_the_bot_on_duty(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    good = (
        '  - {area: 5324, member: "@analyste.mons:prevnet.localhost", '
        "from: 2030-12-05 08:00, to: 2030-12-05 20:00}\n"
    )
    for intruder, reason in (
        ("@analyste.mons:evil.example", "is on another server; prevnet serves prevnet.localhost"),
        ("@ANALYSTE.MONS:prevnet.localhost", "it is written in lower case"),
        ("@prevnet:prevnet.localhost", "is not a member of the network"),
    ):
        path = tmp_path / "rota.yaml"
        bad = good.replace("@analyste.mons:prevnet.localhost", intruder).replace(
            "08:00", "20:00", 1
        )
        path.write_text("duty:\n" + good + bad.replace("20:00}", "23:00}"), encoding="utf-8")
        result = run("duty", "import", str(path))
        assert result.exit_code == 1, intruder
        assert "line 3: entry 2" in result.output and reason in result.output, result.output
        assert "nothing was changed" in result.output
    assert "nobody is on the rota" in run("duty", "list").output


def test_a_calendar_attendee_of_another_server_or_address_is_refused(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    def calendar(attendee: str) -> str:
        return (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:1@x\r\n"
            "DTSTART:20301205T080000Z\r\nDTEND:20301205T200000Z\r\nSUMMARY:Permanence\r\n"
            f"LOCATION:zone 5324\r\nATTENDEE:{attendee}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )

    path = tmp_path / "rota.ics"
    path.write_text(calendar("matrix:u/analyste.mons:evil.example"), encoding="utf-8")
    result = run("duty", "import", str(path))
    assert result.exit_code == 1 and "is on another server" in result.output
    path.write_text(calendar("mailto:claire.lambert@evil.example"), encoding="utf-8")
    result = run("duty", "import", str(path))
    assert result.exit_code == 1
    assert "no member has the address claire.lambert@evil.example" in result.output
    assert "nobody is on the rota" in run("duty", "list").output


async def test_a_replayed_take_that_found_the_duty_taken_stays_silent(
    desk: tuple[Desk, DutyService],
) -> None:
    """A replayed "!duty take 18:00" (after a crash) finds its own period and must not answer
    a second time ("already on duty"); nor does a take that found an earlier one covering it."""
    room, duty = desk
    member = await room.member("inspecteur.mons")
    context = Context(member.matrix_id, member, "!zone:5324", "zone:5324", "$same", None)
    first = await room.registry.dispatch(context, "!duty take 18:00")
    assert first is not None and "C'est fait" in first.text
    assert await room.registry.dispatch(context, "!duty take 18:00") is None
    covered = Context(member.matrix_id, member, "!zone:5324", "zone:5324", "$later", None)
    again = await room.registry.dispatch(covered, "!duty take 17:00")
    assert again is not None and "déjà de permanence" in again.text
    assert await room.registry.dispatch(covered, "!duty take 17:00") is None
    assert len(await duty.rota.upcoming(room.clock.now)) == 1
