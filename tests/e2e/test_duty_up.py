"""``prevnet up`` with the duty rota: ``!duty`` and ``!duty take`` in a zone room, ``prevnet duty
set`` against the running network, and a handover note in ``#moderation`` for each period as it
begins, found by the scheduled job every ``check_seconds`` and posted once however often it runs.

One ``prevnet up`` only: that a restart or a retried delivery posts no second note is proved on
a real homeserver by ``test_the_handover_note_is_posted_once_in_moderation`` in
``tests/matrix/test_duty.py`` (the job run by a second service, the post retried with its
transaction ID), at a fraction of the cost of starting the network twice."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nio

from tests.e2e.test_alerts import notice
from tests.support.people import Person
from tests.support.up import SERVER, DemoTemplate, started

MARC = f"@inspecteur.mons:{SERVER}"  # author, zp-mons-quevy
CLAIRE = f"@analyste.mons:{SERVER}"  # author and moderator, in #moderation


async def duty_set(data: Path, area: str, member: str, minutes: int) -> str:
    """``prevnet duty set`` from another process, as an administrator would type it."""
    now = datetime.now(UTC)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "prevnet",
        "--data-dir",
        str(data),
        "duty",
        "set",
        area,
        member,
        "--from",
        (now - timedelta(minutes=1)).isoformat(),
        "--to",
        (now + timedelta(minutes=minutes)).isoformat(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    assert process.returncode == 0, out.decode()
    return out.decode()


def notes(person: Person, room: str, text: str) -> int:
    return sum(
        1
        for r, e in person.received
        if r == room and isinstance(e, nio.RoomMessageNotice) and text in e.body
    )


async def test_duty_in_chat_and_handover_notes_as_periods_begin(
    tmp_path: Path, demo_template: DemoTemplate
) -> None:
    settings = tmp_path / "prevnet.toml"
    settings.write_text("[attention]\ncheck_seconds = 0.5\n")
    people: list[Person] = []
    env = {"PREVNET_CONFIG": str(settings)}
    async with started(tmp_path / "data", env, template=demo_template) as network:

        async def person(user_id: str) -> Person:
            found = Person(network.url, user_id, tmp_path / "keys" / user_id[1:].split(":")[0])
            await found.login(network.accounts()[user_id])
            people.append(found)
            return found

        try:
            marc, claire = await person(MARC), await person(CLAIRE)
            zone = await marc.room(f"#zone-5324:{SERVER}")
            moderation = await claire.room(f"#moderation:{SERVER}")
            await marc.say(zone, "!duty")
            await marc.wait_for(notice(zone, "Personne n'est de permanence pour zone 5324"))
            await marc.say(zone, "!duty take 4h")
            await marc.wait_for(notice(zone, "C'est fait : vous êtes de permanence pour zone 5324"))
            first = f"Duty handover: Marc Delvaux ({MARC}) is on duty for zone 5324"
            await claire.wait_for(notice(moderation, first), within=60)

            printed = await duty_set(network.data, "Hainaut", CLAIRE, 120)
            assert printed.startswith("added #2: Province du Hainaut")
            second = f"Duty handover: Claire Lambert ({CLAIRE}) is on duty for Province du Hainaut"
            await claire.wait_for(notice(moderation, second), within=60)
            await marc.say(zone, "!duty")
            answer = await marc.wait_for(
                notice(zone, "De permanence pour zone 5324", "Marc Delvaux")
            )
            assert "Province du Hainaut" in answer.body and "Claire Lambert" in answer.body
            # the job ran every half second while the CLI's process started and stored the
            # second period, and once more for it: the first period was announced once
            assert notes(claire, moderation, first) == 1
            assert notes(claire, moderation, second) == 1
        finally:
            for found in people:
                await found.close()
