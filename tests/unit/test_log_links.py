"""The one-time links of e-mails never reach a log, not even aiohttp's access log."""

from __future__ import annotations

from prevnet.logs import redact


def test_mailed_link_tokens_are_masked_in_access_log_lines() -> None:
    line = '127.0.0.1 "GET /account/password/Xy-z_123abcDEF?l=fr HTTP/1.1" 200 1234'
    assert redact(line) == '127.0.0.1 "GET /account/password/[redacted]?l=fr HTTP/1.1" 200 1234'
    assert "tok3n" not in redact("POST /mail/ack/AbC.tok3n HTTP/1.1")
    assert "tok3n" not in redact("GET /mail/unsubscribe/tok3n")
