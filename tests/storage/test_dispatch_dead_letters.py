"""The dispatcher's bounded retries: a poison event becomes a dead letter and is announced once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from bots.synapse_admin import MatrixAdminError, MatrixSendError
from phenomena.events import Event, MemberAdded, OrganisationAdded
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox, OutboxEntry
from phenomena.territory import TerritoryRegistry
from prevnet import dispatch
from prevnet.dispatch import Dispatcher, Subscription
from tests.storage.test_outbox import Clock, seed

ALICE = "@alice:prevnet.example"


class Notices:
    """An ``on_dead_letter`` that records what it was told (and can be made to fail)."""

    def __init__(self, failures: int = 0) -> None:
        self.calls: list[list[OutboxEntry]] = []
        self.failures = failures

    async def __call__(self, entries: Sequence[OutboxEntry]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the admin room is not reachable")
        self.calls.append(list(entries))


async def drain(dispatcher: Dispatcher, clock: Clock, rounds: int = 80) -> None:
    for _ in range(rounds):
        await dispatcher.run_once()
        clock.now += timedelta(minutes=10)


async def test_a_handler_that_always_fails_permanently_makes_a_dead_letter_at_once(
    db: Database, territories: TerritoryRegistry
) -> None:
    clock = Clock()
    await seed(db, territories, clock)
    tries: list[str] = []
    others: list[Event] = []

    async def membership(event: Event) -> None:
        assert isinstance(event, MemberAdded)
        if event.matrix_id == ALICE:
            tries.append(event.matrix_id)
            raise MatrixAdminError(
                "GET",
                f"/_synapse/admin/v2/users/{ALICE}",
                400,
                {"errcode": "M_UNKNOWN", "error": f"Can only look up local users ({ALICE})"},
            )
        others.append(event)

    async def organisations(event: Event) -> None:
        others.append(event)

    notices = Notices()
    outbox = Outbox(db, "w", clock)
    dispatcher = Dispatcher(
        outbox,
        [
            Subscription("matrix-membership", (MemberAdded,), membership),
            Subscription("orgs", (OrganisationAdded,), organisations),
        ],
        clock=clock,
        on_dead_letter=notices,
    )
    await drain(dispatcher, clock)
    assert tries == [ALICE]  # once: a retry cannot change a 400
    assert len(others) == 5  # four organisations and Bob: nothing held back
    stats = await outbox.stats()
    assert stats.pending == 0 and stats.dead == 1
    (call,) = notices.calls
    (entry,) = call
    assert (entry.event_type, entry.consumer, entry.subject) == ("MemberAdded", "bots", ALICE)
    assert entry.reason == (
        "matrix-membership: MatrixAdminError M_UNKNOWN (HTTP 400): "
        "the homeserver refused the request as invalid"
    )
    assert "local users" not in entry.reason  # the homeserver's text is not stored


async def test_a_handler_that_fails_transiently_then_succeeds_delivers_once(
    db: Database, territories: TerritoryRegistry
) -> None:
    clock = Clock()
    await seed(db, territories, clock)
    failures = {"left": 12}  # more than the unknown-failure limit: transient ones count apart
    delivered: list[str] = []

    async def membership(event: Event) -> None:
        assert isinstance(event, MemberAdded)
        if event.matrix_id == ALICE and failures["left"]:
            failures["left"] -= 1
            if failures["left"] % 2:
                raise ConnectionError("homeserver down")
            raise MatrixSendError("!room:x", "M_LIMIT_EXCEEDED", 429, "slow down")
        delivered.append(event.matrix_id)

    notices = Notices()
    outbox = Outbox(db, "w", clock)
    dispatcher = Dispatcher(
        outbox,
        [Subscription("matrix-membership", (MemberAdded,), membership)],
        clock=clock,
        on_dead_letter=notices,
    )
    await drain(dispatcher, clock)
    assert sorted(delivered) == [ALICE, "@bob:prevnet.example"]
    stats = await outbox.stats()
    assert stats.pending == 0 and stats.dead == 0
    assert notices.calls == []


async def test_unknown_and_transient_failures_are_bounded_too(
    db: Database, territories: TerritoryRegistry
) -> None:
    clock = Clock()
    await seed(db, territories, clock)
    tries: dict[str, int] = {}

    async def membership(event: Event) -> None:
        assert isinstance(event, MemberAdded)
        tries[event.matrix_id] = tries.get(event.matrix_id, 0) + 1
        if event.matrix_id == ALICE:
            raise LookupError("the member's record is gone")
        raise TimeoutError

    notices = Notices()
    outbox = Outbox(db, "w", clock)
    dispatcher = Dispatcher(
        outbox,
        [Subscription("matrix-membership", (MemberAdded,), membership)],
        clock=clock,
        on_dead_letter=notices,
        max_attempts=3,
        max_transient_attempts=5,
    )
    await drain(dispatcher, clock)
    assert tries == {ALICE: 3, "@bob:prevnet.example": 5}
    assert (await outbox.stats()).dead == 2
    reasons = sorted(e.reason for call in notices.calls for e in call)
    assert reasons == ["matrix-membership: LookupError", "matrix-membership: TimeoutError"]


async def test_a_failing_notice_changes_nothing_and_is_tried_again_later(
    db: Database, territories: TerritoryRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notice is not an outbox event: it cannot fail an event, nor make one."""
    clock = Clock()
    await seed(db, territories, clock)
    outbox = Outbox(db, "w", clock)
    before = len(await outbox.events())

    async def too_large(event: Event) -> None:
        raise MatrixSendError("!room:x", "M_TOO_LARGE", 413, "event too large")

    class Monotonic:
        now = 1000.0

        def monotonic(self) -> float:
            return self.now

    monotonic = Monotonic()
    monkeypatch.setattr(dispatch, "time", monotonic)  # the dispatcher's clock for notices
    notices = Notices(failures=2)
    dispatcher = Dispatcher(
        outbox,
        [Subscription("bulletins", (MemberAdded,), too_large)],
        clock=clock,
        on_dead_letter=notices,
    )
    await dispatcher.run_once()  # both members dead at once; the notice fails
    assert (await outbox.stats()).dead == 2 and notices.calls == []
    monotonic.now += dispatch.NOTICE_RETRY - 1
    await dispatcher.run_once()  # too soon to try the notice again
    assert notices.failures == 1
    monotonic.now += 1
    await dispatcher.announce_dead_letters()  # fails once more (the second failure)
    assert notices.failures == 0 and notices.calls == []
    monotonic.now += dispatch.NOTICE_RETRY
    await dispatcher.announce_dead_letters()
    (call,) = notices.calls
    assert [e.reason for e in call] == [
        "bulletins: MatrixSendError M_TOO_LARGE (HTTP 413): "
        "the event is larger than the homeserver accepts"
    ] * 2
    await dispatcher.announce_dead_letters()
    assert len(notices.calls) == 1  # told once
    assert len(await outbox.events()) == before  # no event was added for the notice
    assert (await outbox.stats()).pending == 0


def test_the_notice_is_short_whatever_the_number_of_dead_letters() -> None:
    entry = OutboxEntry(
        id=7,
        event_type="AlertPublished",
        consumer="bots",
        state="dead",
        attempts=1,
        reason="bulletins: MatrixSendError M_TOO_LARGE (HTTP 413)",
        subject="alert #3",
        created_at=Clock()(),
        changed_at=Clock()(),
    )
    text = dispatch.dead_letter_notice([entry] * 500)
    assert "- #7 AlertPublished (alert #3) for bots, 1 attempt(s): bulletins:" in text
    assert "- and 490 more" in text and "prevnet outbox retry ID" in text
    assert len(text.encode()) < 4000
