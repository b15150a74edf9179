"""Logging for ``prevnet up``: plain or JSON lines, never an access token or a password.

Redaction happens in a filter on every record, whatever logged it (prevnet, matrix-nio,
aiohttp), so a token in an error message or a URL is masked before it is written. Alert texts
are never logged by prevnet.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

SECRETS = [
    re.compile(r"\b(syt_|pvn_|mct_)[A-Za-z0-9_\-]+"),  # Synapse, prevnet API, Synapse admin
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]+"),
    re.compile(r"(?i)((?:access_token|password|secret|token)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"),
    re.compile(r"(/account/password/|/mail/ack/|/mail/unsubscribe/)[^\s?\"'#]+"),  # mailed links
    re.compile(r"(?i)\b(r-\d+-(?:\d+-)?)[a-z2-7]{20,}(?=@)"),  # e-mail reply addresses (signing.py)
]


def redact(text: str) -> str:
    """The text with anything that looks like a token or password masked."""
    for pattern in SECRETS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[redacted]", text)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(verbose: bool, as_json: bool) -> None:
    """Set up the root logger for a long-running prevnet process."""
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        JsonFormatter()
        if as_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    # aiosmtpd's mail.log logs every RCPT TO (a reply token) at INFO
    for chatty in ("nio", "apscheduler.executors", "mail.log"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
