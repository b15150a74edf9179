"""Which failures retrying can change, and their description without the error's text."""

from __future__ import annotations

import aiohttp
import pytest

from bots.synapse_admin import MatrixAdminError, MatrixSendError
from bridge.api import Refused, Throttled, Unavailable
from prevnet.delivery_failures import FailureKind, classify, describe


def admin_error(status: int, errcode: str = "", error: str = "x") -> MatrixAdminError:
    return MatrixAdminError(
        "GET",
        "/_synapse/admin/v2/users/@x:evil.example",
        status,
        {
            "errcode": errcode,
            "error": error,
        },
    )


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (admin_error(400, "M_UNKNOWN", "Can only look up local users"), FailureKind.PERMANENT),
        (MatrixSendError("!r:x", "M_TOO_LARGE", 413, "event too large"), FailureKind.PERMANENT),
        (MatrixSendError("!r:x", "M_TOO_LARGE", 0, "no transport"), FailureKind.PERMANENT),
        (MatrixSendError("!r:x", "M_BAD_JSON", 400, "bad"), FailureKind.PERMANENT),
        (MatrixSendError("!r:x", "M_LIMIT_EXCEEDED", 429, "slow"), FailureKind.TRANSIENT),
        (admin_error(502), FailureKind.TRANSIENT),
        (ConnectionError("homeserver down"), FailureKind.TRANSIENT),
        (TimeoutError(), FailureKind.TRANSIENT),
        (aiohttp.ServerDisconnectedError(), FailureKind.TRANSIENT),
        (admin_error(403, "M_FORBIDDEN"), FailureKind.UNKNOWN),
        (MatrixSendError("!r:x", "M_FORBIDDEN", 403, "not in room"), FailureKind.UNKNOWN),
        (admin_error(0, "None"), FailureKind.UNKNOWN),  # nio's errcode-less error: not transient
        (LookupError("alert 4 is not in the database"), FailureKind.UNKNOWN),
        (ValueError("bad payload"), FailureKind.UNKNOWN),
    ],
)
def test_classify(exc: Exception, kind: FailureKind) -> None:
    assert classify(exc) is kind


def test_discourse_down_or_busy_is_transient_and_a_refusal_permanent() -> None:
    assert classify(Unavailable("Discourse timed out")) is FailureKind.TRANSIENT
    assert classify(Throttled(30, "rate_limit")) is FailureKind.TRANSIENT
    assert classify(Refused(413, "too large")) is FailureKind.PERMANENT
    assert classify(Refused(422, "title is too short")) is FailureKind.UNKNOWN


def test_an_error_that_knows_it_is_final_is_permanent() -> None:
    class ForeignMember(Exception):
        permanent = True

    assert classify(ForeignMember("@x:evil.example")) is FailureKind.PERMANENT
    assert describe(ForeignMember("@x:evil.example")) == "ForeignMember"


def test_describe_keeps_the_class_errcode_and_status_never_the_text() -> None:
    secret = "Wave of burglaries in Hyon, suspect Jean Dupont 0475 12 34 56"
    sent = MatrixSendError("!r:x", "M_TOO_LARGE", 413, secret)
    assert describe(sent) == (
        "MatrixSendError M_TOO_LARGE (HTTP 413): the event is larger than the homeserver accepts"
    )
    assert describe(admin_error(400, "M_UNKNOWN", "Can only look up local users")) == (
        "MatrixAdminError M_UNKNOWN (HTTP 400): the homeserver refused the request as invalid"
    )
    assert describe(LookupError(secret)) == "LookupError"
    assert describe(admin_error(0, "None")) == "MatrixAdminError"
