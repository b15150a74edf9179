"""Tokens in reply addresses and links: each for one purpose, one alert and one member."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from prevnet.mail.signing import MailSigner, Purpose, Signed, parse_reply_address
from tests.mail.support import SIGNER

JAN = "@jan:prevnet.example"
CLAIRE = "@claire:prevnet.example"
LAST_DAY = date(2026, 12, 31)


def test_a_token_works_for_its_own_purpose_alert_and_member_only() -> None:
    token = SIGNER.mac(Purpose.ACKNOWLEDGE, 12, JAN)
    assert SIGNER.check(Purpose.ACKNOWLEDGE, 12, JAN, token)
    assert SIGNER.check(Purpose.ACKNOWLEDGE, 12, JAN, token.upper())  # mail may upper-case
    for purpose in (Purpose.REPLY, Purpose.UNSUBSCRIBE, Purpose.MESSAGE_ID):
        assert not SIGNER.check(purpose, 12, JAN, token)
    assert not SIGNER.check(Purpose.ACKNOWLEDGE, 13, JAN, token)
    assert not SIGNER.check(Purpose.ACKNOWLEDGE, 12, CLAIRE, token)
    assert not SIGNER.check(Purpose.ACKNOWLEDGE, 1, "2\x00" + JAN, token)  # no field shifting


def test_another_secret_makes_other_tokens_and_a_retired_one_still_verifies() -> None:
    other = MailSigner(b"o" * 32)
    assert not other.check(Purpose.REPLY, 12, JAN, SIGNER.mac(Purpose.REPLY, 12, JAN))
    rotated = MailSigner(b"n" * 32, retired=[b"k" * 32])
    assert rotated.check(Purpose.REPLY, 12, JAN, SIGNER.mac(Purpose.REPLY, 12, JAN))
    assert rotated.mac(Purpose.REPLY, 12, JAN) != SIGNER.mac(Purpose.REPLY, 12, JAN)


@pytest.mark.parametrize("bad", ["", "!!!", "a" * 31, "é" * 32, "0" * 32])
def test_malformed_tokens_are_refused_not_crashed_on(bad: str) -> None:
    assert not SIGNER.check(Purpose.REPLY, 12, JAN, bad)


def test_a_short_secret_is_refused_with_what_to_do() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        MailSigner(b"short")


def test_link_tokens_carry_alert_and_member_and_open_for_their_purpose_only() -> None:
    token = SIGNER.link_token(Purpose.UNSUBSCRIBE, 12, JAN)
    assert SIGNER.open_link_token(Purpose.UNSUBSCRIBE, token) == Signed(12, JAN)
    assert SIGNER.open_link_token(Purpose.ACKNOWLEDGE, token) is None
    payload, _, mac = token.partition(".")
    forged = SIGNER.link_token(Purpose.UNSUBSCRIBE, 13, JAN).partition(".")[0] + "." + mac
    assert SIGNER.open_link_token(Purpose.UNSUBSCRIBE, forged) is None
    for junk in ("", ".", "x.y", payload, "%%%." + mac, "MTI." + mac):
        assert SIGNER.open_link_token(Purpose.UNSUBSCRIBE, junk) is None


def test_reply_addresses_are_read_for_the_reply_domain_only() -> None:
    address = SIGNER.reply_address(12, JAN, "reply.prevnet.example", LAST_DAY)
    parsed = parse_reply_address(address.upper(), "reply.prevnet.example")
    assert parsed is not None and parsed.alert_id == 12
    assert SIGNER.check_reply(parsed, JAN, LAST_DAY)
    assert not SIGNER.check_reply(parsed, CLAIRE, LAST_DAY)
    local = address.partition("@")[0]
    assert parse_reply_address(f"{local}@evil.example", "reply.prevnet.example") is None
    assert parse_reply_address(f"<{local}@reply.prevnet.example>", "reply.prevnet.example")
    for junk in ("r-12@reply.prevnet.example", "someone@reply.prevnet.example", "no-at-sign"):
        assert parse_reply_address(junk, "reply.prevnet.example") is None


def test_a_reply_address_carries_its_last_day_inside_the_mac_and_fits_a_local_part() -> None:
    address = SIGNER.reply_address(999_999_999_999, JAN, "reply.prevnet.example", date(2999, 1, 1))
    assert len(address.partition("@")[0]) <= 64
    parsed = parse_reply_address(
        SIGNER.reply_address(12, JAN, "reply.prevnet.example", LAST_DAY), "reply.prevnet.example"
    )
    assert parsed is not None
    assert SIGNER.check_reply(parsed, JAN, LAST_DAY)
    assert not SIGNER.check_reply(parsed, JAN, LAST_DAY + timedelta(days=1))
    extended = replace(parsed, day=parsed.day + 30)
    assert not SIGNER.check_reply(extended, JAN, LAST_DAY)
