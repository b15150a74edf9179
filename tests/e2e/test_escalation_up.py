"""``prevnet up`` with seconds for timers: an alert nobody acknowledges calls the member on duty
in its bulletin's thread (a real mention) and by e-mail, once, across a restart that falls
between the timer being recorded and its firing; an acknowledged one stops; a pending one calls
Hainaut's moderator, then the federal one, in ``#moderation``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

import nio
from sqlalchemy import select

from phenomena.escalation import ACK, FIRED, MODERATION, STOPPED, WAITING
from phenomena.notify_prefs import NotifyPreference, QuietHours
from phenomena.storage.database import Database, sqlite_url
from phenomena.storage.notify_prefs import SqlNotifyPreferences
from phenomena.storage.schema_attention import DutyPeriodRow, EscalationRow
from tests.e2e.test_alerts import direct_chat, draft_from, notice
from tests.mail.smtp_relay import Relay, relay
from tests.mail.support import plain
from tests.support.people import Person
from tests.support.synapse import free_port
from tests.support.up import SERVER, DemoTemplate, Running, start, stop

__all__ = ["relay"]
ADDRESS = "sophie.martin@quevy.example"
SOPHIE = f"@prevention.quevy:{SERVER}"
GREEN = """!alert new
type: residential-burglary
area: Mons
from: 2026-11-14
to: 2026-12-20
tlp: green
summary: {summary}"""


URGENT = """!alert new
type: residential-burglary
area: Mons
from: 2026-11-14
tlp: green
priority: {priority}
summary: {summary}"""


async def set_quiet_hours(data: Path, member: str) -> None:
    """Quiet hours that cover any time of the test: 00:00 to 23:59."""
    db = Database.connect(sqlite_url(data / "prevnet.sqlite3"))
    try:
        quiet = QuietHours(dt_time(0, 0), dt_time(23, 59))
        await SqlNotifyPreferences(db).set(NotifyPreference(member, quiet=quiet))
    finally:
        await db.close()


def config(tmp_path: Path) -> Path:
    """Timers in seconds: 30 s to acknowledge (a stop, or a member's reaction, takes one or two),
    6 s per moderation level (nobody acts on those in time)."""
    path = tmp_path / "prevnet.toml"
    path.write_text(
        "[attention]\nack_minutes_normal = 0.5\nack_minutes_urgent = 0.5\n"
        "moderation_minutes = 0.1\ncheck_seconds = 0.5\n"
    )
    return path


async def steps(data: Path, alert_id: int) -> dict[tuple[str, int], str]:
    """The alert's escalation steps as the running instance recorded them."""
    db = Database.connect(sqlite_url(data / "prevnet.sqlite3"))
    try:
        async with db.sessions() as session:
            rows = await session.scalars(
                select(EscalationRow).where(EscalationRow.alert_id == alert_id)
            )
            return {(r.kind, r.level): r.state for r in rows}
    finally:
        await db.close()


async def until_step(data: Path, alert_id: int, key: tuple[str, int], state: str) -> None:
    deadline = time.monotonic() + 60
    while (await steps(data, alert_id)).get(key) != state:
        assert time.monotonic() < deadline, f"A-{alert_id} {key} never became {state}"
        await asyncio.sleep(0.2)


async def put_on_duty(data: Path, member: str, zone: str) -> None:
    db = Database.connect(sqlite_url(data / "prevnet.sqlite3"))
    now = datetime.now(UTC)
    try:
        async with db.sessions() as session, session.begin():
            session.add(
                DutyPeriodRow(
                    scope="zone",
                    area=zone,
                    member=member,
                    starts_at=now - timedelta(hours=1),
                    ends_at=now + timedelta(days=1),
                    set_by=f"@admin:{SERVER}",
                    set_at=now,
                    source="cli",
                )
            )
    finally:
        await db.close()


def mention_of(room: str, root: str, who: str) -> Callable[[str, nio.Event], bool]:
    """The bot's escalation notice in ``root``'s thread that mentions ``who`` for real."""

    def match(room_id: str, event: nio.Event) -> bool:
        if room_id != room or not isinstance(event, nio.RoomMessageNotice):
            return False
        content = event.source.get("content", {})
        relation = content.get("m.relates_to", {})
        return (
            relation.get("rel_type") == "m.thread"
            and relation.get("event_id") == root
            and who in content.get("m.mentions", {}).get("user_ids", [])
        )

    return match


async def escalation_mails(relay: Relay, ref: str, within: float = 60) -> int:
    deadline = time.monotonic() + within
    while True:
        found = [m for m in relay.inbox.to(ADDRESS) if ref in str(m["Subject"])]
        if found:
            assert "Rear doors forced in Hyon" in plain(found[0])  # GREEN: the summary
            return len(found)
        assert time.monotonic() < deadline, "no escalation e-mail arrived"
        await asyncio.sleep(0.2)


async def test_escalation_calls_the_on_duty_member_once_across_a_restart(
    relay: Relay, tmp_path: Path, demo_template: DemoTemplate
) -> None:
    data = await demo_template.copy_to(tmp_path / "data")
    env = {
        "PREVNET_CONFIG": str(config(tmp_path)),
        "PREVNET_SMTP_HOST": "127.0.0.1",
        "PREVNET_SMTP_PORT": str(relay.port),
        "PREVNET_SMTP_STARTTLS": "false",
        "PREVNET_EMAIL_FROM": "prevnet <prevnet@prevnet.example>",
        "PREVNET_EMAIL_LISTEN_PORT": str(free_port()),
    }
    port = free_port()
    network: Running = await start(data, port, env)
    people: list[Person] = []

    async def person(localpart: str) -> Person:
        user_id = f"@{localpart}:{SERVER}"
        found = Person(network.url, user_id, tmp_path / "keys" / localpart)
        await found.login(network.accounts()[user_id])
        people.append(found)
        return found

    try:
        admin = await person("admin")
        admin_room = await admin.room(f"#admin:{SERVER}")
        await admin.say(
            admin_room, f'!member add {SOPHIE} org=pcs-quevy name="Sophie Martin" email={ADDRESS}'
        )
        await admin.wait_for(notice(admin_room, SOPHIE))
        await put_on_duty(data, SOPHIE, "5324")
        sophie = await person("prevention.quevy")
        zone = await sophie.room(f"#zone-5324:{SERVER}")
        author = await person("inspecteur.mons")
        author_zone = await author.room(f"#zone-5324:{SERVER}")

        # nobody acknowledges it; the timer is recorded, then prevnet stops before it fires
        chat, draft = await draft_from(
            author, author_zone, GREEN.format(summary="Rear doors forced in Hyon in daylight.")
        )
        first = draft.body.split()[1].rstrip(":")
        await author.say(chat, f"!alert publish {first}")
        bulletin = await sophie.wait_for(notice(zone, "Rear doors forced in Hyon"), within=60)
        first_id = int(first.split("-")[1])
        await until_step(data, first_id, (ACK, 1), WAITING)
        assert await stop(network) == 0
        assert await steps(data, first_id) == {(ACK, 1): WAITING}  # recorded, not fired

        # without --demo: re-seeding the demo registry would take Sophie's address away again
        network = await start(data, port, env, demo=False)

        # while A-1's timer runs out, A-2 is acknowledged in time: its timer stops
        await author.say(chat, GREEN.format(summary="Cellar doors forced in Nimy."))
        second_draft = await author.wait_for(notice(chat, "Draft A-2"))
        assert second_draft is not None
        await author.say(chat, "!alert publish A-2")
        second = await sophie.wait_for(notice(zone, "Cellar doors forced in Nimy"), within=60)
        await sophie.react(zone, second.event_id, "👀")
        await until_step(data, 2, (ACK, 1), STOPPED)

        # A-3 waits for a moderator: Hainaut's is called, then the federal one
        prevention = await person("prevention.mons")
        prevention_zone = await prevention.room(f"#zone-5324:{SERVER}")
        their_chat, their_draft = await draft_from(
            prevention, prevention_zone, GREEN.format(summary="Fake plumbers in Jemappes.")
        )
        third = their_draft.body.split()[1].rstrip(":")
        await prevention.say(their_chat, f"!alert publish {third}")

        # A-1's timer, recorded before the restart, fires after it
        mention = await sophie.wait_for(mention_of(zone, bulletin.event_id, SOPHIE), within=120)
        assert "Sophie Martin" in mention.body and first in mention.body
        assert "Rear doors" not in mention.body
        assert f"https://matrix.to/#/{SOPHIE}" in mention.source["content"]["formatted_body"]
        assert await escalation_mails(relay, first) == 1

        moderation = await admin.room(f"#moderation:{SERVER}")
        province = await admin.wait_for(
            lambda r, e: (
                r == moderation
                and isinstance(e, nio.RoomMessageNotice)
                and f"@analyste.mons:{SERVER}"
                in e.source["content"].get("m.mentions", {}).get("user_ids", [])
            ),
            within=90,
        )
        assert third in province.body and "province" in province.body
        federal = await admin.wait_for(
            lambda r, e: (
                r == moderation
                and isinstance(e, nio.RoomMessageNotice)
                and f"@admin:{SERVER}"
                in e.source["content"].get("m.mentions", {}).get("user_ids", [])
            ),
            within=90,
        )
        assert third in federal.body and "federal" in federal.body
        assert await steps(data, 3) == {(MODERATION, 1): FIRED, (MODERATION, 2): FIRED}

        assert await steps(data, first_id) == {(ACK, 1): FIRED}
        await author.say(chat, f"!alert reach {first}")
        reach = await author.wait_for(notice(chat, f"Reach of {first}", "Escalation:"))
        assert "mentioned in the bulletin's thread: Sophie Martin" in reach.body
        assert f"e-mailed: Sophie Martin ({SOPHIE})" in reach.body
        assert await direct_chat(author) == chat

        # quiet hours all day for Sophie: a normal alert calls only Julien, an urgent one both
        await set_quiet_hours(data, SOPHIE)
        julien = f"@prevention.mons:{SERVER}"
        await put_on_duty(data, julien, "5324")
        for priority, summary in (("normal", "Quiet normal: sheds"), ("urgent", "Loud: armed")):
            await author.say(chat, URGENT.format(priority=priority, summary=summary))
            made = await author.wait_for(notice(chat, "Draft A-", summary))
            await author.say(chat, f"!alert publish {made.body.split()[1].rstrip(':')}")
        quiet = await prevention.wait_for(notice(prevention_zone, "Quiet normal: sheds"), within=60)
        loud = await prevention.wait_for(notice(prevention_zone, "Loud: armed"), within=60)
        normal_call = await prevention.wait_for(
            mention_of(prevention_zone, quiet.event_id, julien), within=120
        )
        urgent_call = await prevention.wait_for(
            mention_of(prevention_zone, loud.event_id, julien), within=120
        )
        assert normal_call.source["content"]["m.mentions"]["user_ids"] == [julien]
        assert sorted(urgent_call.source["content"]["m.mentions"]["user_ids"]) == [julien, SOPHIE]

        # Sophie has read up to the urgent call, long after A-1's: that was called once, in the
        # thread and by mail
        await sophie.wait_for(mention_of(zone, loud.event_id, SOPHIE))
        mentions = [
            e for r, e in sophie.received if mention_of(zone, bulletin.event_id, SOPHIE)(r, e)
        ]
        assert len(mentions) == 1
        assert await escalation_mails(relay, first) == 1
    finally:
        for someone in people:
            await someone.close()
        if network.process.returncode is None:
            await stop(network)
