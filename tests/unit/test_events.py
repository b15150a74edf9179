"""Domain events survive the outbox's JSON round trip."""

from __future__ import annotations

import json

import pytest

from phenomena.events import (
    AlertPublished,
    AlertUpdated,
    Event,
    MemberAdded,
    MemberRemoved,
    event_from_payload,
)


@pytest.mark.parametrize(
    "event",
    [
        AlertPublished(alert_id=3, tlp="amber", rooms=("zone:5324", "zone:5327")),
        AlertUpdated(alert_id=3, version=2, fields=("summary",), by="@a:x", rooms=("zone:5324",)),
        MemberAdded(matrix_id="@a:x", organisation="zp"),
        MemberRemoved(matrix_id="@a:x", by="cli:root", reason="left the service"),
    ],
)
def test_round_trip(event: Event) -> None:
    stored = json.loads(json.dumps(event.to_payload()))
    assert event_from_payload(event.name, stored) == event


def test_unknown_event_type_says_what_to_do() -> None:
    with pytest.raises(ValueError, match="is this prevnet too old"):
        event_from_payload("AlertTeleported", {})
