"""Which handler failures retrying can change, and how to describe one without its text.

The dispatcher retries every failure with backoff, but not equally long:

- *permanent*: the homeserver refused the request itself (HTTP 400 or 413, ``M_TOO_LARGE``,
  ``M_BAD_JSON``, ...; "can only look up local users" is a 400). The same request gets the same
  answer: the event becomes a dead letter at once.
- *transient*: the peer is unreachable, slow or busy (connection errors, timeouts, 429, 5xx).
  Retried long (an outage should not bury every event), still bounded.
- *unknown*: anything else (a record that is gone, a refusal such as 403). Retried a few times.

Handlers need not know about this: errors carry what decides it (``errcode`` and ``status``
attributes, as ``bots.synapse_admin.MatrixAdminError`` and ``MatrixSendError`` have). An error
that knows it is final (a member of another server, which no homeserver call can fix) says so
with a ``permanent = True`` attribute, one that knows the peer is only down or busy
(``bridge.api.Unavailable``) with ``transient = True``.
"""

from __future__ import annotations

import enum

import aiohttp

PERMANENT_ERRCODES = frozenset(
    {
        "M_TOO_LARGE",
        "M_BAD_JSON",
        "M_NOT_JSON",
        "M_INVALID_PARAM",
        "M_MISSING_PARAM",
        "M_INVALID_USERNAME",
    }
)
TRANSIENT_ERRCODES = frozenset({"M_LIMIT_EXCEEDED"})
PERMANENT_STATUSES = frozenset({400, 413})

HINTS = {
    "M_TOO_LARGE": "the event is larger than the homeserver accepts",
    "M_LIMIT_EXCEEDED": "the homeserver is rate limiting the bot",
    "M_FORBIDDEN": "the homeserver refused the bot (permissions or room membership)",
    "M_UNKNOWN_TOKEN": "the bot's access token is not valid",
    "M_NOT_FOUND": "the homeserver does not know the room or user",
}


class FailureKind(enum.Enum):
    """How long retrying a failure is worth it."""

    PERMANENT = "permanent"
    TRANSIENT = "transient"
    UNKNOWN = "unknown"


def _errcode(exc: BaseException) -> str:
    value = getattr(exc, "errcode", None)
    return value if isinstance(value, str) and value not in ("", "None") else ""


def _status(exc: BaseException) -> int:
    value = getattr(exc, "status", None)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def classify(exc: BaseException) -> FailureKind:
    """Whether a retry of what raised ``exc`` can succeed: never, likely, or perhaps."""
    if getattr(exc, "permanent", None) is True:
        return FailureKind.PERMANENT
    if getattr(exc, "transient", None) is True:
        return FailureKind.TRANSIENT
    errcode, status = _errcode(exc), _status(exc)
    if errcode in TRANSIENT_ERRCODES or status == 429 or status >= 500:
        return FailureKind.TRANSIENT
    if errcode in PERMANENT_ERRCODES or status in PERMANENT_STATUSES:
        return FailureKind.PERMANENT
    if errcode or status:  # the peer answered and refused: not a connection problem
        return FailureKind.UNKNOWN
    if isinstance(exc, TimeoutError | OSError | aiohttp.ClientConnectionError):
        return FailureKind.TRANSIENT
    return FailureKind.UNKNOWN


def describe(exc: BaseException) -> str:
    """The error's class, Matrix errcode and HTTP status, and a hint: never its message.

    A message may quote what was sent (alert text, a member's name); this is stored in the
    outbox and posted in ``#admin``, so only what identifies the kind of failure goes in.
    """
    errcode, status = _errcode(exc), _status(exc)
    parts = [type(exc).__name__]
    if errcode:
        parts.append(errcode)
    if status:
        parts.append(f"(HTTP {status})")
    text = " ".join(parts)
    hint = HINTS.get(errcode)
    if hint is None and status == 400:
        hint = "the homeserver refused the request as invalid"
    return f"{text}: {hint}" if hint else text
