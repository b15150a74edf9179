"""Preferences and usefulness on a running ``prevnet up --demo``, as its wiring makes them: a
member's 👍 on a bulletin acknowledges and votes yes, ``!useful`` changes it, ``!alert reach``
shows the votes, and ``!prefs language`` turns the member's answers to their language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.test_alerts import ALERT, Cast, direct_chat, draft_from, notice
from tests.support.up import SERVER, Running

__all__ = ["cast"]


@pytest.fixture
async def cast(network: Running, tmp_path: Path) -> AsyncIterator[Cast]:
    people = Cast(network, tmp_path / "keys")
    try:
        yield people
    finally:
        await people.close()


async def test_a_thumb_votes_useful_no_changes_it_and_reach_shows_it(
    network: Running, cast: Cast
) -> None:
    officer = await cast.person("inspecteur.mons")
    quevy = await cast.person("prevention.quevy")
    zone = await officer.room(f"#zone-5324:{SERVER}")
    chat, draft = await draft_from(officer, zone, ALERT)
    ref = draft.body.split()[1].rstrip(":")
    await officer.say(zone, f"!alert publish {ref}")
    await officer.wait_for(notice(chat, f"{ref} is published in"))
    bulletin = await quevy.wait_for(notice(zone, "TLP:AMBER", ref, "Discutez dans ce fil"))

    await quevy.react(zone, bulletin.event_id, "👍")
    # asked in the same room, so the bot handles the reaction first
    await officer.say(zone, f"!alert reach {ref}")
    reach = await officer.wait_for(notice(zone, f"Reach of {ref}", "Usefulness: 1 useful"))
    assert "Service prévention de Quévy [pcs-quevy]: seen" in reach.body

    await quevy.say(zone, "!prefs language nl")
    await quevy.wait_for(notice(zone, "privégesprek"))  # the pointer, in her language
    direct = await direct_chat(quevy)
    await quevy.wait_for(notice(direct, "Taal: Nederlands"))
    await quevy.say(direct, f"!useful {ref} nee")
    changed = await quevy.wait_for(notice(direct, "is gewijzigd"))
    assert "0 nuttig, 1 niet nuttig" in changed.body

    await officer.say(chat, f"!alert reach {ref}")
    await officer.wait_for(notice(chat, f"Reach of {ref}", "Usefulness: 0 useful, 1 not useful"))
    await officer.say(chat, "!alert reach")
    per_type = await officer.wait_for(notice(chat, "Usefulness by phenomenon type"))
    assert "- Residential burglary: 0 useful, 1 not useful" in per_type.body
