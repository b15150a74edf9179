"""``prevnet up`` as a process, members at real encrypted clients: findings 4, 5 and 7.

A moderator of another zone tries to lower a RED alert to GREEN; its author asks to see it in
#toolbox; an author who moderates approves their own alert. The rest of the suite proves each
rule on the alert desk; this test proves them on the running network, through what members'
clients actually receive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import nio
import pytest

from tests.e2e.test_alerts import ALERT, Cast, draft_from, notice
from tests.support.synapse import free_port
from tests.support.up import SERVER, DemoTemplate, Running, demo_template, start

RED_SUMMARY = "Informant says the Hyon gang strikes again on Friday night."
RED = (
    ALERT.replace("tlp: amber", "tlp: red")
    .replace("Mons, Quévy", "Mons")
    .replace("Wave of burglaries in Hyon and Nimy, rear doors forced in daylight.", RED_SUMMARY)
)
BOT = f"@prevnet:{SERVER}"
CLEAR = ALERT.replace("tlp: amber", "tlp: clear").replace("Mons, Quévy", "Mons")
__all__ = ["demo_template"]


@pytest.fixture
async def running(tmp_path: Path, demo_template: DemoTemplate) -> AsyncIterator[Running]:
    network = await start(await demo_template.copy_to(tmp_path / "data"), free_port())
    try:
        yield network
    finally:
        if network.process.returncode is None:
            network.process.kill()
            await network.process.wait()


@pytest.fixture
async def cast(running: Running, tmp_path: Path) -> AsyncIterator[Cast]:
    people = Cast(running, tmp_path / "keys")
    try:
        yield people
    finally:
        await people.close()


async def test_red_stays_with_its_recipients_and_four_eyes_are_two_people(
    running: Running, cast: Cast
) -> None:
    officer = await cast.person("inspecteur.mons")  # police, zone 5324
    ostend = await cast.person("analist.oostende")  # a moderator of another zone
    claire = await cast.person("analyste.mons")  # an author who moderates, zone 5324
    quevy = await cast.person("prevention.quevy")  # in zone 5324 and the Hainaut room
    federal = await cast.person("federal")  # in #toolbox
    zone = await officer.room(f"#zone-5324:{SERVER}")
    toolbox = await officer.room(f"#toolbox:{SERVER}")
    hainaut = await quevy.room(f"#province-50000:{SERVER}")
    moderation = await ostend.room(f"#moderation:{SERVER}")

    # a RED alert by the zone's police: published at once, into a room of its own
    officer_chat, draft = await draft_from(officer, zone, RED)
    red = draft.body.split()[1].rstrip(":")
    await officer.say(officer_chat, f"!alert publish {red}")
    await officer.wait_for(notice(officer_chat, f"{red} is published in 1 room(s)"))

    # finding 4: another zone's moderator cannot lower it (nor learn that it exists)
    await ostend.say(moderation, f"!alert update {red} tlp: green")
    refused = await ostend.wait_for(notice(moderation, f"there is no alert {red} you can see"))
    assert RED_SUMMARY not in refused.body

    # finding 5: its author asks to see it in #toolbox; the room gets a pointer, the author it
    await officer.say(toolbox, f"!alert show {red}")
    pointer = await federal.wait_for(notice(toolbox, "I answered you in our direct chat"))
    assert red not in pointer.body and RED_SUMMARY not in pointer.body
    shown = await officer.wait_for(notice(officer_chat, red, RED_SUMMARY))
    assert "TLP:RED" in shown.body

    # finding 7: an author who moderates cannot approve their own (moderated: CLEAR) alert
    claire_chat, draft = await draft_from(claire, zone, CLEAR)
    clear = draft.body.split()[1].rstrip(":")
    await claire.say(claire_chat, f"!alert publish {clear}")
    await claire.wait_for(notice(claire_chat, f"{clear} is sent to the moderators"))
    await claire.say(claire_chat, f"!approve {clear}")
    await claire.wait_for(notice(claire_chat, f"you wrote {clear}", "four eyes"))
    await ostend.say(moderation, f"!approve {clear}")
    await ostend.wait_for(notice(moderation, f"{clear} is approved"))

    # the CLEAR bulletin reaching the Hainaut room is the fence: everything before it is in
    fence = await quevy.wait_for(notice(hainaut, clear, "TLP:CLEAR"))
    assert isinstance(fence, nio.RoomMessageNotice)
    await federal.wait_for(notice(toolbox, "I answered you in our direct chat"))
    for person, room in ((quevy, hainaut), (quevy, zone), (federal, toolbox)):
        leaked = [
            e.event_id
            for r, e in person.received
            if r == room
            and isinstance(e, nio.RoomMessage)
            and e.sender == BOT  # what members typed themselves is theirs (the bot warns them)
            and (RED_SUMMARY in getattr(e, "body", "") or "TLP:RED" in getattr(e, "body", ""))
        ]
        assert leaked == [], (room, leaked)
        assert not [
            e for r, e in person.received if r == room and isinstance(e, nio.MegolmEvent)
        ], "a message could not be decrypted, so the check above would prove nothing"
    assert not [e for _, e in ostend.received if e.sender == BOT and RED_SUMMARY in str(e.source)]
