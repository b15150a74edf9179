"""The alert lifecycle: allowed steps, refused steps with what to do, and the events recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from phenomena.alert import Alert, AlertContent, AlertStatus, parse_ref
from phenomena.errors import IllegalTransition, InvalidValue
from phenomena.events import (
    AlertClosed,
    AlertExpired,
    AlertPublished,
    AlertRejected,
    AlertSubmitted,
    AlertUpdated,
)
from phenomena.taxonomy import PhenomenonType
from phenomena.tlp import Tlp

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
CONTENT = AlertContent(
    type=PhenomenonType.PHONE_SCAM,
    municipalities=("53053",),
    period_start=date(2026, 11, 14),
    period_end=date(2026, 11, 20),
    tlp=Tlp.AMBER,
    summary="Fake bank employees call elderly people.",
)


def alert() -> Alert:
    return Alert(id=7, content=CONTENT, author="@a:x", organisation="zp")


def test_draft_published_updated_closed() -> None:
    a = alert()
    a.publish(("zone:5324",), "@a:x", NOW)
    changed = a.update(
        replace(CONTENT, summary="New text", tlp=Tlp.GREEN),
        ("zone:5324", "province:50000"),
        "@a:x",
        NOW,
    )
    assert changed == ("tlp", "summary")
    assert (a.status, a.version) == (AlertStatus.UPDATED, 2)
    assert a.rooms == ("zone:5324", "province:50000")
    a.close("@a:x", "Suspects arrested", NOW)
    assert a.status is AlertStatus.CLOSED
    assert [type(e) for e in a.events] == [AlertPublished, AlertUpdated, AlertClosed]
    assert a.events[1] == AlertUpdated(
        alert_id=7,
        version=2,
        fields=("tlp", "summary"),
        by="@a:x",
        rooms=("zone:5324", "province:50000"),
    )


def test_moderation_path() -> None:
    a = alert()
    a.submit_for_moderation(NOW)
    a.reject("@mod:x", "Too vague", NOW)
    assert a.status is AlertStatus.REJECTED
    assert [type(e) for e in a.events] == [AlertSubmitted, AlertRejected]
    with pytest.raises(IllegalTransition, match="it was rejected; write a new alert instead"):
        a.publish(("zone:5324",), "@mod:x", NOW)


@pytest.mark.parametrize(
    ("setup", "step", "hint"),
    [
        ("closed", "update", "it is closed; publish a new alert instead"),
        ("closed", "close", "A-7 is already closed"),
        ("expired", "close", "A-7 is already expired"),
        ("draft", "close", "it is still a draft"),
        ("pending", "close", "waiting for a moderator"),
        ("published", "publish", "already published"),
        ("expired", "expire", "it has expired"),
    ],
)
def test_illegal_steps_say_what_to_do(setup: str, step: str, hint: str) -> None:
    a = alert()
    if setup == "pending":
        a.submit_for_moderation(NOW)
    if setup in ("published", "closed", "expired"):
        a.publish(("zone:5324",), "@a:x", NOW)
    if setup == "closed":
        a.close("@a:x", "", NOW)
    if setup == "expired":
        a.expire(NOW)
    new = replace(CONTENT, summary="x")
    steps: dict[str, Callable[[], object]] = {
        "update": lambda: a.update(new, (), "@a:x", NOW),
        "close": lambda: a.close("@a:x", "", NOW),
        "publish": lambda: a.publish(("zone:5324",), "@a:x", NOW),
        "expire": lambda: a.expire(NOW),
    }
    with pytest.raises(IllegalTransition, match=hint):
        steps[step]()


def test_tlp_can_widen_but_not_narrow() -> None:
    a = alert()
    a.publish(("zone:5324",), "@a:x", NOW)
    red = replace(CONTENT, tlp=Tlp.RED)
    with pytest.raises(InvalidValue, match="cannot be made TLP:RED"):
        a.update(red, ("zone:5324",), "@a:x", NOW)
    assert a.status is AlertStatus.PUBLISHED and a.content.tlp is Tlp.AMBER


def test_an_update_that_changes_nothing_records_nothing() -> None:
    a = alert()
    a.publish(("zone:5324",), "@a:x", NOW)
    assert a.update(CONTENT, ("zone:5324",), "@a:x", NOW) == ()
    assert a.status is AlertStatus.PUBLISHED and len(a.events) == 1


def test_rejection_needs_a_reason_and_publishing_needs_rooms() -> None:
    a = alert()
    a.submit_for_moderation(NOW)
    with pytest.raises(InvalidValue, match="say why"):
        a.reject("@m:x", "  ", NOW)
    with pytest.raises(InvalidValue, match="nowhere to go"):
        a.publish((), "@m:x", NOW)


def test_expiry_date() -> None:
    assert alert().expires_after(timedelta(days=7)) == date(2026, 11, 27)
    open_ended = Alert(7, replace(CONTENT, period_end=None), "@a:x", "zp")
    assert open_ended.expires_after(timedelta(0)) == date(2026, 12, 13)
    assert AlertExpired(alert_id=1).name == "AlertExpired"


@pytest.mark.parametrize(("text", "n"), [("A-42", 42), ("a42", 42), (" 42 ", 42), ("A - 7", 7)])
def test_alert_references(text: str, n: int) -> None:
    assert parse_ref(text) == n


def test_bad_reference() -> None:
    with pytest.raises(InvalidValue, match="write it as A-42"):
        parse_ref("B-12")
