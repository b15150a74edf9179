"""Bulletins as members read them, in their room's language."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bots.i18n import Labels, catalogue
from bots.rendering import render_alert, render_change_note, render_close_note
from phenomena.alert import Alert, AlertContent, AlertStatus
from phenomena.rooms import room_languages
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp

CONTENT = AlertContent(
    type=PhenomenonType.RESIDENTIAL_BURGLARY,
    municipalities=("53053", "53084"),
    period_start=date(2026, 11, 14),
    period_end=date(2026, 11, 20),
    tlp=Tlp.AMBER,
    summary="Wave of <burglaries> & more",
    modus="Screwdriver",
    advice="Lock doors",
)
ALERT = Alert(
    id=12, content=CONTENT, author="@a:x", organisation="zp", status=AlertStatus.PUBLISHED
)


def test_a_french_bulletin(territories: TerritoryRegistry) -> None:
    out = render_alert(ALERT, territories, Labels(["fr"]), "ZP Mons/Quévy (Claire)")
    assert out.text.splitlines()[0] == "🟧 TLP:AMBER · Cambriolage d'habitation · A-12"
    assert "Zone: Mons, Quévy" in out.text
    assert "Période: du 14/11/2026 au 20/11/2026" in out.text
    assert "Mode opératoire: Screwdriver" in out.text
    assert "Source: ZP Mons/Quévy (Claire)" in out.text
    assert "Discutez dans ce fil" in out.text
    assert 'data-mx-color="#FFC000"' in out.html and "<b>TLP:AMBER</b>" in out.html
    assert "&lt;burglaries&gt; &amp; more" in out.html  # escaped, never injected


def test_dutch_german_bilingual_and_english(territories: TerritoryRegistry) -> None:
    nl = render_alert(ALERT, territories, Labels(["nl"]), "x").text
    assert "Woninginbraak" in nl and "Gebied: Bergen, Quévy" in nl and "van 14/11/2026" in nl
    de = render_alert(ALERT, territories, Labels(["de"]), "x").text
    assert "Wohnungseinbruch" in de and "Zeitraum: vom 14/11/2026 bis 20/11/2026" in de
    both = render_alert(ALERT, territories, Labels(["nl", "fr"]), "x").text
    assert "Woninginbraak / Cambriolage d'habitation" in both and "Periode / Période" in both
    english = render_alert(ALERT, territories, Labels([]), "x").text
    assert "Residential burglary" in english and "Period: from 14/11/2026 to 20/11/2026" in english


def test_states_and_withheld_content(territories: TerritoryRegistry) -> None:
    closed = replace(ALERT, status=AlertStatus.CLOSED)
    assert render_alert(closed, territories, Labels(["fr"]), "x").text.startswith("[CLÔTURÉE]")
    red = replace(ALERT, content=replace(CONTENT, tlp=Tlp.RED))
    withheld = render_alert(red, territories, Labels([]), "x", withhold_content=True)
    assert "Wave of" not in withheld.text and "Screwdriver" not in withheld.text
    assert "TLP:RED" in withheld.text and "A-12" in withheld.text
    open_ended = replace(ALERT, content=replace(CONTENT, period_end=None))
    assert "depuis le 14/11/2026" in render_alert(open_ended, territories, Labels(["fr"]), "x").text


def test_notes(territories: TerritoryRegistry) -> None:
    labels = Labels(["fr"])
    assert render_change_note(("summary", "tlp"), labels) == "Mise à jour : résumé, TLP"
    assert render_close_note(AlertStatus.CLOSED, "Arrests", labels) == "Clôturée : Arrests"
    assert "expiré" in render_close_note(AlertStatus.EXPIRED, None, labels)


def test_room_languages(territories: TerritoryRegistry) -> None:
    assert room_languages("zone:5324", territories) == ("fr",)
    assert room_languages("zone:5449", territories) == ("nl",)
    eupen = territories.find_municipality("Eupen").zone_key
    assert room_languages(f"zone:{eupen}", territories) == ("de",)
    assert set(room_languages("province:04000", territories)) == {"fr", "nl"}
    assert room_languages("province:60000", territories) == ("fr",)
    assert room_languages("moderation", territories) == ()


def test_every_catalogue_translates_every_label() -> None:
    from babel.messages.pofile import read_po

    from bots.i18n import LANGUAGES, LOCALE_DIR

    ids: set[str] | None = None
    for language in LANGUAGES:
        with (LOCALE_DIR / language / "LC_MESSAGES" / "prevnet.po").open("rb") as handle:
            messages = [m for m in read_po(handle) if m.id]
        untranslated = [m.id for m in messages if not m.string]
        assert not untranslated, f"{language}: {untranslated}"
        found = {str(m.id) for m in messages}
        assert ids is None or found == ids, f"{language} has other labels than the others"
        ids = found
    assert ids and "Period" in ids and catalogue("fr").gettext("Period") == "Période"
