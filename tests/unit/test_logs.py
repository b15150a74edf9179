"""Logs never carry tokens or passwords, in either format."""

from __future__ import annotations

import io
import json
import logging

from prevnet.logs import JsonFormatter, RedactingFilter, redact


def test_redaction() -> None:
    line = (
        "login failed for token syt_cHJldm5ldA_abc123 with Bearer abc.def-ghi "
        'password=hunter2 {"access_token": "xyz"} api pvn_9aF-x'
    )
    masked = redact(line)
    for secret in ("syt_cHJldm5ldA_abc123", "abc.def-ghi", "hunter2", "xyz", "pvn_9aF-x"):
        assert secret not in masked
    assert "login failed for token" in masked and masked.count("[redacted]") == 5
    assert redact("nothing to hide in A-12") == "nothing to hide in A-12"


def test_json_lines_are_redacted() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("sync failed: %s", "GET /sync?access_token=syt_secret_token")
    finally:
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert entry["level"] == "WARNING" and entry["logger"] == "test.logs"
    assert "syt_secret_token" not in entry["message"] and "[redacted]" in entry["message"]
