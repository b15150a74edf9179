"""Findings 3 and 10: one event the homeserver refuses for good no longer stops the network.

An event too large for the homeserver, or a member of another server recorded before prevnet
refused them, used to be retried forever: ``/health`` turned 503 and stayed so. Now such an
event becomes a dead letter (after one attempt when the homeserver refused the request, after a
bounded number otherwise), ``#admin`` is told once, the events after it go out, and ``/health``
stays healthy while showing the dead letter apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bots.bot import Bot
from bots.commands import CommandRegistry
from bots.network import MatrixNetwork
from bots.synapse_admin import SynapseAdmin
from phenomena.events import Event, MemberAdded, OrganisationAdded
from phenomena.partners import Member, Organisation, OrganisationKind, Role
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox, OutboxEntry
from phenomena.storage.unit_of_work import SqlUnitOfWork
from prevnet.dispatch import Dispatcher, Subscription
from prevnet.observability import Metrics, observability_routes
from prevnet.wiring import membership_subscription
from tests.matrix.conftest import network, room_db  # noqa: F401 - fixtures of this module
from tests.storage.test_outbox import Clock
from tests.support.synapse import LocalHomeserver, client_for

FOREIGN = "@x:evil.example"


class Notices:
    """The lead's ``on_dead_letter``: here it records what #admin would be told."""

    def __init__(self) -> None:
        self.told: list[OutboxEntry] = []

    async def __call__(self, entries: Sequence[OutboxEntry]) -> None:
        self.told.extend(entries)


async def health(outbox: Outbox, clock: Clock) -> tuple[int, Any]:
    """``GET /health`` of an observability app on this outbox, at ``clock``'s time."""

    async def ok() -> bool:
        return True

    app = web.Application()
    observability_routes(app, Metrics(), outbox.stats, ok, ok, clock)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/health")
        return response.status, await response.json()


async def drain(dispatcher: Dispatcher, clock: Clock, rounds: int = 40) -> None:
    for _ in range(rounds):
        await dispatcher.run_once()
        clock.now += timedelta(minutes=10)


async def test_a_bulletin_too_large_for_the_homeserver_holds_back_nothing(
    db: Database, homeserver: LocalHomeserver
) -> None:
    clock = Clock()
    client = client_for(homeserver.url, homeserver.bot)
    try:
        created = await client.room_create(name=homeserver.unique("poison"))
        room_id = getattr(created, "room_id", None)
        assert room_id, created
        bot = Bot(client, CommandRegistry(), lambda _: _nobody(), lambda _: _nobody())
        posted: dict[str, str] = {}

        async def bulletin(event: Event) -> None:
            assert isinstance(event, OrganisationAdded)
            # 4-byte emoji at length: far over the homeserver's 64 KiB event limit for "poison"
            body = ("🚨" * 20_000) if event.key == "poison" else f"bulletin {event.key}"
            posted[event.key] = await bot.post(room_id, {"msgtype": "m.notice", "body": body})

        outbox = Outbox(db, "w", clock)
        await outbox.enqueue([OrganisationAdded(key=k) for k in ("poison", "after-1", "after-2")])
        notices = Notices()
        dispatcher = Dispatcher(
            outbox,
            [Subscription("bulletins", (OrganisationAdded,), bulletin)],
            clock=clock,
            on_dead_letter=notices,
        )
        await drain(dispatcher, clock)

        assert set(posted) == {"after-1", "after-2"}  # the events after it went out
        async with aiohttp.ClientSession() as http:
            admin = SynapseAdmin(http, homeserver.url, homeserver.bot.access_token)
            for key, event_id in posted.items():
                seen = await admin.request(
                    "GET", f"/_matrix/client/v3/rooms/{room_id}/event/{event_id}"
                )
                assert seen is not None and seen["content"]["body"] == f"bulletin {key}"
        (told,) = notices.told
        assert (told.event_type, told.subject, told.attempts) == (
            "OrganisationAdded",
            "organisation poison",
            1,
        )
        assert told.reason == (
            "bulletins: MatrixSendError M_TOO_LARGE (HTTP 413): "
            "the event is larger than the homeserver accepts"
        )
        assert "🚨" not in told.reason
        status, body = await health(outbox, clock)  # an hour later still
        assert status == 200, body
        assert body["outbox"]["pending"] == 0 and body["outbox"]["dead_letters"] == 1
    finally:
        await client.close()


async def test_a_member_of_another_server_stored_before_the_fix_ends_as_a_dead_letter(
    db: Database,
    homeserver: LocalHomeserver,
    network: MatrixNetwork,  # noqa: F811
) -> None:
    """Its MemberAdded is tried a bounded number of times, #admin is told, the next goes out."""
    clock = Clock()
    local = homeserver.user_id(homeserver.unique("local"))
    async with SqlUnitOfWork(db.sessions, clock) as uow:  # as an older prevnet recorded them
        org = Organisation(homeserver.unique("org"), "Org", OrganisationKind.OTHER, ())
        await uow.organisations.add(org)
        for matrix_id in (FOREIGN, local):
            member = Member(matrix_id, "Someone", org.key, frozenset({Role.MEMBER}))
            member.events.append(MemberAdded(matrix_id=matrix_id, organisation=org.key))
            await uow.members.add(member)
        await uow.commit()

    def uow_factory() -> SqlUnitOfWork:
        return SqlUnitOfWork(db.sessions, clock)

    outbox = Outbox(db, "w", clock)
    notices = Notices()
    dispatcher = Dispatcher(
        outbox, [membership_subscription(network, uow_factory)], clock=clock, on_dead_letter=notices
    )
    await drain(dispatcher, clock)

    (told,) = notices.told
    assert (told.event_type, told.subject) == ("MemberAdded", FOREIGN)
    assert told.reason.startswith("matrix-membership: ")
    stats = await outbox.stats()
    assert stats.pending == 0 and stats.dead == 1
    assert (await network.admin.get_user(local)) is not None  # the member after it was set up
    status, body = await health(outbox, clock)
    assert status == 200 and body["outbox"]["dead_letters"] == 1, body


async def _nobody() -> None:
    return None
