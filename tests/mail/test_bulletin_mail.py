"""Bulletin e-mails as a member's mail client shows and threads them."""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import date
from email.policy import default

from phenomena.alert import AlertStatus
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from prevnet.mail.bulletin_mail import ChatLink, MailRecipient, render_bulletin_mail
from prevnet.mail.signing import parse_reply_address
from tests.mail.support import (
    CHAT,
    CLAIRE,
    JAN,
    SETUP,
    SIGNER,
    SOURCE,
    alert,
    html_body,
    plain,
)


def test_published_update_and_closing_thread_on_the_first_mail(
    territories: TerritoryRegistry,
) -> None:
    published = render_bulletin_mail(alert(), JAN, SETUP, territories, CHAT, SOURCE)
    updated = render_bulletin_mail(
        alert(status=AlertStatus.UPDATED, version=2), JAN, SETUP, territories, CHAT, SOURCE
    )
    again = render_bulletin_mail(
        alert(status=AlertStatus.UPDATED, version=3), JAN, SETUP, territories, CHAT, SOURCE
    )
    closed = render_bulletin_mail(
        alert(status=AlertStatus.CLOSED, version=3), JAN, SETUP, territories, CHAT, SOURCE
    )
    assert published and updated and again and closed
    root = published["Message-ID"]
    assert published["In-Reply-To"] is None
    ids = {m["Message-ID"] for m in (published, updated, again, closed)}
    assert len(ids) == 4
    for follow_up in (updated, again, closed):
        assert follow_up["In-Reply-To"] == root and follow_up["References"] == root
    assert "[BIJGEWERKT]" in updated["Subject"] and "[AFGESLOTEN]" in closed["Subject"]


def test_message_ids_are_the_same_each_time_and_differ_per_member_and_alert(
    territories: TerritoryRegistry,
) -> None:
    def mid(alert_id: int, member: MailRecipient) -> str:
        msg = render_bulletin_mail(
            alert(alert_id=alert_id), member, SETUP, territories, CHAT, SOURCE
        )
        assert msg is not None
        return str(msg["Message-ID"])

    assert mid(12, JAN) == mid(12, JAN)
    assert len({mid(12, JAN), mid(12, CLAIRE), mid(13, JAN)}) == 3
    assert "jan" not in mid(12, JAN)  # no member ID in a header anyone forwarded could see


def test_list_headers_and_one_click_unsubscribe(territories: TerritoryRegistry) -> None:
    msg = render_bulletin_mail(alert(), JAN, SETUP, territories, CHAT, SOURCE)
    assert msg is not None
    assert msg["List-Id"] == "prevnet bulletins <bulletins.prevnet.example>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(msg["List-Unsubscribe"])
    assert unsubscribe.startswith("<https://prevnet.example/mail/unsubscribe/")
    # what the relay carries decodes to the same URL: it is never folded into encoded words
    carried = email.message_from_bytes(msg.as_bytes(), policy=default)
    assert carried["List-Unsubscribe"] == unsubscribe
    assert msg["Auto-Submitted"] == "auto-generated"
    assert "https://prevnet.example/mail/ack/" in plain(msg)


def test_reply_to_is_unique_to_alert_and_member(territories: TerritoryRegistry) -> None:
    def reply_to(alert_id: int, member: MailRecipient) -> str:
        msg = render_bulletin_mail(
            alert(alert_id=alert_id), member, SETUP, territories, CHAT, SOURCE
        )
        assert msg is not None
        return str(msg["Reply-To"])

    address = reply_to(12, JAN)
    assert address.endswith("@reply.prevnet.example")
    assert len({address, reply_to(12, CLAIRE), reply_to(13, JAN)}) == 3
    parsed = parse_reply_address(address, "reply.prevnet.example")
    assert parsed is not None and parsed.alert_id == 12
    assert SIGNER.check_reply(parsed, JAN.member_id, alert().content.last_day())
    assert not SIGNER.check_reply(parsed, JAN.member_id, date(2999, 1, 1))  # it expires


def test_each_language_and_html_is_escaped(territories: TerritoryRegistry) -> None:
    tricky = alert(Tlp.CLEAR)
    tricky = replace(tricky, content=replace(tricky.content, summary="<script>x</script> & co"))
    for member, words in (
        (JAN, ("Woninginbraak", "Gebied: Bergen, Quévy", "Openen in Matrix")),
        (CLAIRE, ("Cambriolage d'habitation", "Zone: Mons, Quévy", "L'ouvrir dans Matrix")),
        (replace(JAN, language="de"), ("Wohnungseinbruch", "Zeitraum: vom", "In Matrix öffnen")),
        (replace(JAN, language="en"), ("Residential burglary", "Area: Mons", "Open it in Matrix")),
    ):
        msg = render_bulletin_mail(tricky, member, SETUP, territories, CHAT, SOURCE)
        assert msg is not None
        text = plain(msg)
        assert all(word in text for word in words), (member.language, text)
        page = html_body(msg)
        assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt; &amp; co" in page
        assert msg["Subject"].startswith("[TLP:CLEAR]")


def test_a_room_link_without_an_event_opens_the_room() -> None:
    assert ChatLink("!abc:x.org").url == "https://matrix.to/#/!abc:x.org"


def test_an_amber_notice_invites_no_email_reply_in_any_language(
    territories: TerritoryRegistry,
) -> None:
    for member, words in (
        (replace(JAN, language="en"), "answer in its thread in Matrix"),
        (CLAIRE, "répondez dans son fil dans Matrix"),
        (JAN, "reageer in de draad in Matrix"),
        (replace(JAN, language="de"), "antworten Sie im Thread in Matrix"),
    ):
        msg = render_bulletin_mail(alert(Tlp.AMBER), member, SETUP, territories, CHAT, SOURCE)
        assert msg is not None
        assert msg["Reply-To"] is None
        assert "r-12-" not in msg.as_string()
        assert words in plain(msg) and words in html_body(msg).replace("&#x27;", "'")
        assert "Reply to this e-mail" not in plain(msg)


def test_a_closed_alerts_mail_invites_no_email_reply(territories: TerritoryRegistry) -> None:
    for status in (AlertStatus.CLOSED, AlertStatus.EXPIRED):
        closed = alert(Tlp.GREEN, status, version=2, reason="Suspect arrested")
        msg = render_bulletin_mail(closed, JAN, SETUP, territories, CHAT, SOURCE)
        assert msg is not None and msg["Reply-To"] is None
        assert "reageer in de draad in Matrix" in plain(msg)
    green = render_bulletin_mail(alert(Tlp.GREEN), JAN, SETUP, territories, CHAT, SOURCE)
    assert green is not None and green["Reply-To"] is not None
    assert "Beantwoord deze e-mail" in plain(green)
