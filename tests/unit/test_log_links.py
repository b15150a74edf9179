"""The one-time links of e-mails never reach a log, not even aiohttp's access log."""

from __future__ import annotations

import logging
from datetime import date

from prevnet.logs import configure_logging, redact
from tests.mail.support import SIGNER


def test_mailed_link_tokens_are_masked_in_access_log_lines() -> None:
    line = '127.0.0.1 "GET /account/password/Xy-z_123abcDEF?l=fr HTTP/1.1" 200 1234'
    assert redact(line) == '127.0.0.1 "GET /account/password/[redacted]?l=fr HTTP/1.1" 200 1234'
    assert "tok3n" not in redact("POST /mail/ack/AbC.tok3n HTTP/1.1")
    assert "tok3n" not in redact("GET /mail/unsubscribe/tok3n")


def test_reply_address_tokens_are_masked_in_smtp_log_lines() -> None:
    token = SIGNER.reply_address(
        7, "@jan:prevnet.example", "reply.prevnet.example", date(2026, 12, 31)
    )
    line = f"('127.0.0.1', 50516) >> b'RCPT TO:<{token}>'"
    assert (
        redact(line)
        == "('127.0.0.1', 50516) >> b'RCPT TO:<r-7-20818-[redacted]@reply.prevnet.example>'"
    )
    assert redact(line.upper()).count("[redacted]") == 1


def test_aiosmtpd_session_chatter_is_not_logged_by_prevnet_up() -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging(verbose=True, as_json=False)
        assert not logging.getLogger("mail.log").isEnabledFor(logging.INFO)
        assert logging.getLogger("prevnet").isEnabledFor(logging.INFO)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.getLogger("mail.log").setLevel(logging.NOTSET)
