"""What a TLP label lets a bulletin e-mail carry, checked on the mail a member would receive."""

from __future__ import annotations

import pytest

from phenomena.alert import AlertStatus
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from prevnet.mail.bulletin_mail import render_bulletin_mail
from tests.mail.support import (
    CHAT,
    CLAIRE,
    JAN,
    SECRET_WORDS,
    SETUP,
    SOURCE,
    alert,
    plain,
    whole_text,
)


@pytest.mark.parametrize("tlp", [Tlp.RED, Tlp.AMBER_STRICT])
@pytest.mark.parametrize(
    "status", [AlertStatus.PUBLISHED, AlertStatus.UPDATED, AlertStatus.CLOSED, AlertStatus.EXPIRED]
)
def test_red_and_amber_strict_are_never_mailed(
    territories: TerritoryRegistry, tlp: Tlp, status: AlertStatus
) -> None:
    for member in (JAN, CLAIRE):
        assert (
            render_bulletin_mail(alert(tlp, status), member, SETUP, territories, CHAT, SOURCE)
            is None
        )


@pytest.mark.parametrize(
    "status", [AlertStatus.PUBLISHED, AlertStatus.UPDATED, AlertStatus.CLOSED, AlertStatus.EXPIRED]
)
def test_an_amber_mail_holds_no_word_of_the_alert_text(
    territories: TerritoryRegistry, status: AlertStatus
) -> None:
    amber = alert(Tlp.AMBER, status, version=2, reason="zanzibar crowbar found")
    msg = render_bulletin_mail(amber, CLAIRE, SETUP, territories, CHAT, SOURCE)
    assert msg is not None
    seen = whole_text(msg)
    leaked = [word for word in SECRET_WORDS if word in seen]
    assert leaked == [], f"the AMBER mail carries {leaked}"
    assert "claire)" not in seen  # the source (author) stays in Matrix too
    text = plain(msg)
    assert "Cambriolage d'habitation" in text and "Zone: Mons, Quévy" in text
    assert "du 14/11/2026 au 20/11/2026" in text
    assert "https://matrix.to/#/!room:prevnet.example/$event:prevnet.example" in text
    assert "son texte reste dans Matrix" in text
    assert msg["Subject"].startswith("[TLP:AMBER]")


@pytest.mark.parametrize("tlp", [Tlp.CLEAR, Tlp.GREEN])
def test_clear_and_green_are_mailed_in_full(territories: TerritoryRegistry, tlp: Tlp) -> None:
    msg = render_bulletin_mail(alert(tlp), JAN, SETUP, territories, CHAT, SOURCE)
    assert msg is not None
    assert msg["Subject"].startswith(f"[{tlp.label}]")
    seen = whole_text(msg)
    assert all(word in seen for word in SECRET_WORDS)
    assert "Samenvatting: Xylophone gang" in plain(msg)


@pytest.mark.parametrize(
    "status",
    [
        AlertStatus.DRAFT,
        AlertStatus.PENDING_MODERATION,
        AlertStatus.REJECTED,
        AlertStatus.CANCELLED,
    ],
)
def test_an_alert_that_was_never_published_is_never_mailed(
    territories: TerritoryRegistry, status: AlertStatus
) -> None:
    assert (
        render_bulletin_mail(alert(Tlp.CLEAR, status), JAN, SETUP, territories, CHAT, SOURCE)
        is None
    )


def test_an_amber_closing_keeps_its_reason_in_matrix(territories: TerritoryRegistry) -> None:
    closed = alert(Tlp.AMBER, AlertStatus.CLOSED, reason="Suspect arrested in Quaregnon")
    msg = render_bulletin_mail(closed, JAN, SETUP, territories, CHAT, SOURCE)
    assert msg is not None
    assert "arrested" not in whole_text(msg)
    assert "Afgesloten." in plain(msg)
    green = alert(Tlp.GREEN, AlertStatus.CLOSED, reason="Suspect arrested in Quaregnon")
    green_msg = render_bulletin_mail(green, JAN, SETUP, territories, CHAT, SOURCE)
    assert green_msg is not None and "Suspect arrested in Quaregnon" in plain(green_msg)
