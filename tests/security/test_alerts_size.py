"""Finding 10 (size): a bulletin over the homeserver's event limit (4-byte emoji at the field
limits) was retried for ever. Its size is now measured in bytes, as the homeserver counts an
encrypted event, when the draft is made and when it is updated, and refused with how much to
cut. A 20,000-character summary is reported as too long, not as missing fields."""

from __future__ import annotations

import pytest

from bots.bulletin_size import MAX_EVENT_BYTES, event_bytes
from bots.i18n import Labels
from bots.messages import edit_content, notice
from bots.rendering import render_alert
from phenomena.alert import parse_ref
from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from tests.support.alert_desk import Desk, ref_in

EMOJI = "🧨"


def alert_text(summary: str, modus: str = "", advice: str = "") -> str:
    lines = [
        "!alert new",
        "type: residential-burglary",
        "area: Mons",
        "from: 2026-11-14",
        "tlp: amber",
        f"summary: {summary}",
    ]
    if modus:
        lines.append(f"modus: {modus}")
    if advice:
        lines.append(f"advice: {advice}")
    return "\n".join(lines)


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


async def test_emoji_at_the_field_limits_are_refused_with_what_to_cut(desk: Desk) -> None:
    reply = await desk.say(
        "inspecteur.mons", alert_text(EMOJI * 2000, EMOJI * 4000, EMOJI * 4000), room="zone:5324"
    )
    assert reply is not None and not reply.private
    assert "bytes too large in French" in reply.text
    assert "shorten summary/modus/advice by about" in reply.text
    assert "an emoji counts 4" in reply.text and "nothing was stored" in reply.text
    cut = int(reply.text.split("by about ")[1].split()[0])
    assert 0 < cut <= 40_000
    async with desk.desk.uow(None) as unit:
        assert list(await unit.alerts.list()) == []
    assert reply.text.startswith("The alert: the bulletin is ")
    # what the advice says is enough: cutting that much (4 bytes an emoji) makes it fit
    left = 10_000 - -(-cut // 4)
    summary = min(left, 2000)
    modus = min(left - summary, 4000)
    fitting = await desk.say(
        "inspecteur.mons",
        alert_text(EMOJI * summary, EMOJI * modus, EMOJI * (left - summary - modus)),
    )
    assert fitting is not None and "Draft A-" in fitting.text
    # and it is not far off: a tenth more would have been too much
    more = left + max(10, (10_000 - left) // 10)
    summary, modus = min(more, 2000), min(more - 2000, 4000)
    over = await desk.say(
        "inspecteur.mons",
        alert_text(EMOJI * summary, EMOJI * modus, EMOJI * (more - summary - modus)),
    )
    assert over is not None and "bytes too large" in over.text


async def test_an_update_that_makes_it_too_large_is_refused(desk: Desk) -> None:
    ref = ref_in(await desk.say("inspecteur.mons", alert_text("Burglaries in Hyon.")))
    await desk.say("inspecteur.mons", f"!alert publish {ref}")
    await desk.deliver()
    reply = await desk.say(
        "inspecteur.mons", f"!alert update {ref} modus: {EMOJI * 4000}\nadvice: {EMOJI * 4000}"
    )
    assert reply is not None and "bytes too large" in reply.text
    assert (await desk.alert(parse_ref(ref))).version == 1
    assert await desk.deliver() == []


def test_the_measure_is_above_what_the_homeserver_would_store(
    territories: TerritoryRegistry,
) -> None:
    """The estimate is never below the content's own size (a lower bound of the event)."""
    from datetime import date

    from phenomena.alert import Alert, AlertContent
    from phenomena.taxonomy import PhenomenonType
    from phenomena.tlp import Tlp

    content = AlertContent(
        PhenomenonType.VANDALISM, ("53053",), date(2026, 11, 1), None, Tlp.AMBER, EMOJI * 2000
    )
    rendered = render_alert(Alert(1, content, "@a:x", "o"), territories, Labels(("fr",)), "s")
    import json

    for payload in (notice(rendered), edit_content("$e", rendered)):
        raw = len(json.dumps(payload, ensure_ascii=False).encode())
        assert event_bytes(payload) > raw
    assert event_bytes(edit_content("$e", rendered)) > MAX_EVENT_BYTES  # 2000 emoji, edited


async def test_a_20000_character_summary_is_too_long_not_missing(desk: Desk) -> None:
    reply = await desk.say("inspecteur.mons", alert_text("x" * 20_000))
    assert reply is not None
    assert "missing" not in reply.text
    assert "line 6 (summary)" in reply.text
    assert "20000 characters, longer than the 2000 allowed: shorten it by 18000" in reply.text
