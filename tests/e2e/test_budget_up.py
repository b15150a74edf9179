"""The volume budget and priority in ``prevnet up``, configured as an operator does
(``[attention] budget_per_week = 1``): the second normal alert of the week is held in its
author's direct chat until confirmed, and an urgent one is never held and rings the room."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.test_alerts import ALERT, Cast, draft_from, notice
from tests.support.up import SERVER, DemoTemplate, Running, started


@pytest.fixture
async def network(tmp_path: Path, demo_template: DemoTemplate) -> AsyncIterator[Running]:
    config = tmp_path / "prevnet.toml"
    config.write_text("[attention]\nbudget_per_week = 1\n")
    env = {"PREVNET_CONFIG": str(config)}
    async with started(tmp_path / "data", env, template=demo_template) as running:
        yield running


@pytest.fixture
async def cast(network: Running, tmp_path: Path) -> AsyncIterator[Cast]:
    people = Cast(network, tmp_path / "keys")
    try:
        yield people
    finally:
        await people.close()


async def test_the_weeks_second_normal_alert_waits_for_its_authors_word(
    network: Running, cast: Cast
) -> None:
    officer = await cast.person("inspecteur.mons")
    frameries = await cast.person("prevention.frameries")
    zone_mons = await officer.room(f"#zone-5324:{SERVER}")
    zone_boraine = await frameries.room(f"#zone-5327:{SERVER}")

    chat, draft = await draft_from(officer, zone_mons, ALERT)
    first = draft.body.split()[1].rstrip(":")
    await officer.say(chat, f"!alert publish {first}")
    await officer.wait_for(notice(chat, f"{first} is published in 2 room(s)"))
    await frameries.wait_for(notice(zone_boraine, first, "Priorité: normale"))

    await officer.say(chat, ALERT.replace("Wave of burglaries", "Second wave"))
    second = (await officer.wait_for(notice(chat, "Draft A-", "Second wave"))).body
    ref = second.split()[1].rstrip(":")
    await officer.say(zone_mons, f"!alert publish {ref}")
    await officer.wait_for(notice(zone_mons, "I answered you in our direct chat"))
    held = await officer.wait_for(notice(chat, f"{ref} is not published yet", "zone:5324 (1)"))
    assert f"!alert publish {ref} confirm" in held.body and f"!alert fold {ref}" in held.body
    await officer.say(chat, f"!alert publish {ref} confirm")
    await officer.wait_for(notice(chat, f"{ref} is published in 2 room(s)"))
    await frameries.wait_for(notice(zone_boraine, ref, "Second wave"))

    urgent = ALERT.replace("tlp: amber", "tlp: amber\npriorité: urgente").replace(
        "Wave of burglaries", "Break-in under way"
    )
    await officer.say(chat, urgent)
    third = (await officer.wait_for(notice(chat, "Draft A-", "Break-in under way"))).body
    ref = third.split()[1].rstrip(":")
    await officer.say(chat, f"!alert publish {ref}")  # beyond the budget, and not held
    await officer.wait_for(notice(chat, f"{ref} is published in 2 room(s)"))
    rung = await frameries.wait_for(notice(zone_boraine, "@room", "URGENT", ref))
    assert rung.source["content"]["m.mentions"] == {"room": True}
