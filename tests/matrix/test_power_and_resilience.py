"""Power levels in practice, interrupted reconciliation, rate limits, an existing homeserver."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bots.network import MatrixNetwork, ReconcileReport
from bots.synapse_admin import MatrixAdminError, Session, SynapseAdmin
from phenomena.rooms import room_catalogue
from phenomena.storage.database import Database
from phenomena.storage.room_directory import SqlRoomDirectory
from phenomena.territory import TerritoryRegistry
from prevnet.settings import Settings
from prevnet.up import UpOptions, run_up
from tests.matrix.test_membership import make_registry, members_of
from tests.support.synapse import LocalHomeserver, client_for, free_port


async def session_of(admin: SynapseAdmin, user_id: str) -> Session:
    await admin.put_user(user_id, password="pw-" + user_id)
    return await admin.login(user_id, "pw-" + user_id)


async def send(admin: SynapseAdmin, room: str, who: Session, text: str) -> str:
    answer = await admin.request(
        "PUT",
        f"/_matrix/client/v3/rooms/{room}/send/m.room.message/{time.monotonic_ns()}",
        {"msgtype": "m.text", "body": text},
        token=who.access_token,
    )
    assert answer is not None
    return str(answer["event_id"])


async def test_moderators_redact_members_do_not_and_nobody_changes_state(
    homeserver: LocalHomeserver, admin: SynapseAdmin, network: MatrixNetwork
) -> None:
    reg = make_registry(homeserver)
    await network.reconcile(reg.members.values(), reg.orgs)
    room = await network.room_id("zone:5324")
    assert room is not None
    officer = await session_of(admin, reg.member("officer").matrix_id)
    analyst = await session_of(admin, reg.member("analyst").matrix_id)  # a moderator
    prevention = await session_of(admin, reg.member("prevention").matrix_id)
    message = await send(admin, room, officer, "a message to take down")

    redact = f"/_matrix/client/v3/rooms/{room}/redact/{message}/"
    with pytest.raises(MatrixAdminError) as refused:
        await admin.request("PUT", redact + "r1", {"reason": "x"}, token=prevention.access_token)
    assert refused.value.status == 403
    done = await admin.request(
        "PUT", redact + "r2", {"reason": "personal data"}, token=analyst.access_token
    )
    assert done is not None and done["event_id"]

    rename = f"/_matrix/client/v3/rooms/{room}/state/m.room.name"
    for person in (officer, analyst):
        with pytest.raises(MatrixAdminError) as caught:
            await admin.request("PUT", rename, {"name": "Renamed"}, token=person.access_token)
        assert caught.value.status == 403
    invite = f"/_matrix/client/v3/rooms/{room}/invite"
    with pytest.raises(MatrixAdminError):
        await admin.request(
            "POST", invite, {"user_id": reg.member("ostend").matrix_id}, token=analyst.access_token
        )


async def test_an_interrupted_reconciliation_finishes_when_run_again(
    homeserver: LocalHomeserver, admin: SynapseAdmin, network: MatrixNetwork
) -> None:
    reg = make_registry(homeserver)
    real_request = network.admin.request
    calls = 0

    async def stopped_after_five_calls(*args: Any, **kwargs: Any) -> dict[str, Any] | None:
        """The homeserver does the fifth call (rooms are being created), then prevnet stops."""
        nonlocal calls
        calls += 1
        answer = await real_request(*args, **kwargs)
        if calls == 5:
            raise asyncio.CancelledError
        return answer

    network.admin.request = stopped_after_five_calls  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await network.reconcile(reg.members.values(), reg.orgs)
    network.admin.request = real_request  # type: ignore[method-assign]
    assert calls == 5
    report = await network.reconcile(reg.members.values(), reg.orgs)
    assert report.changed_anything
    ids = {k: m.matrix_id for k, m in reg.members.items()}
    assert await members_of(admin, network, "zone:5324") == {
        ids["officer"],
        ids["analyst"],
        ids["prevention"],
    }
    assert not (await network.reconcile(reg.members.values(), reg.orgs)).changed_anything


@pytest.fixture
async def throttling_server() -> AsyncIterator[tuple[str, list[float]]]:
    """A loopback server that answers 429 twice (as Synapse does), then 200."""
    calls: list[float] = []

    async def handler(request: web.Request) -> web.Response:
        calls.append(time.monotonic())
        if len(calls) <= 2:
            return web.json_response(
                {
                    "errcode": "M_LIMIT_EXCEEDED",
                    "error": "Too Many Requests",
                    "retry_after_ms": 300,
                },
                status=429,
            )
        return web.json_response({"user_id": "@x:y"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}", calls
    finally:
        await runner.cleanup()


async def test_rate_limits_are_waited_out_not_failed(
    throttling_server: tuple[str, list[float]], http: aiohttp.ClientSession
) -> None:
    url, calls = throttling_server
    answer = await SynapseAdmin(http, url, "token").get_user("@x:y")
    assert answer == {"user_id": "@x:y"}
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.29 and calls[2] - calls[1] >= 0.29


async def test_prevnet_up_on_an_existing_homeserver(
    homeserver: LocalHomeserver, admin: SynapseAdmin, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        server_name="prevnet.test",
        homeserver_url=homeserver.url,
        homeserver_token=homeserver.bot.access_token,
        api_port=0,
    )
    stop = asyncio.Event()
    urls: list[str] = []

    def ready(url: str) -> None:
        urls.append(url)
        stop.set()

    await asyncio.wait_for(run_up(settings, UpOptions(), ready, stop), 300)
    assert urls == [homeserver.url]
    assert await admin.resolve_alias("#admin:prevnet.test") is not None
    assert await admin.resolve_alias("#moderation:prevnet.test") is not None
    assert not (tmp_path / "data" / "homeserver").exists(), "an embedded homeserver was started"


async def test_a_start_that_fails_after_the_bot_runs_leaves_nothing_running(
    homeserver: LocalHomeserver, tmp_path: Path
) -> None:
    """A failure once the bot syncs (here the ready callback; before, a refused #admin post)
    must stop the bot and the dispatcher too, or they go on acting on the homeserver."""
    settings = Settings(
        data_dir=tmp_path / "data",
        server_name="prevnet.test",
        homeserver_url=homeserver.url,
        homeserver_token=homeserver.bot.access_token,
        api_port=0,
    )

    def ready(url: str) -> None:
        raise RuntimeError("the start failed late")

    with pytest.raises(RuntimeError, match="the start failed late"):
        await asyncio.wait_for(run_up(settings, UpOptions(), ready, asyncio.Event()), 300)
    left = [
        t.get_name()
        for t in asyncio.all_tasks()
        if t.get_name() in ("bot", "dispatcher", "email") and not t.done()
    ]
    assert left == []


def test_existing_homeserver_needs_a_token() -> None:
    from prevnet.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="homeserver_token"):
        load_settings(environ={"PREVNET_HOMESERVER_URL": "https://matrix.example"})
    assert (
        replace(Settings(), homeserver_url="x", homeserver_token="t").embedded_homeserver is False
    )


async def test_bot_client_helper_acts_as_the_bot(homeserver: LocalHomeserver) -> None:
    client = client_for(homeserver.url, homeserver.bot)
    try:
        response = await client.whoami()
        assert response.user_id == homeserver.bot.user_id
    finally:
        await client.close()


async def test_two_instances_creating_the_same_rooms_end_with_one_each(
    homeserver: LocalHomeserver, admin: SynapseAdmin, territories: TerritoryRegistry, db: Database
) -> None:
    """Two processes on one database (PostgreSQL: two engines, as two `prevnet up`) race."""
    namespace = homeserver.unique("twin") + "-"
    other_db = (
        db
        if db.is_sqlite  # one instance per SQLite database: its tasks share one directory
        else Database.connect(db.engine.url.render_as_string(hide_password=False))
    )
    first_directory = SqlRoomDirectory(db)
    second_directory = first_directory if db.is_sqlite else SqlRoomDirectory(other_db)
    first_client = client_for(homeserver.url, homeserver.bot)
    second_client = client_for(homeserver.url, homeserver.bot)
    try:
        first = MatrixNetwork(
            first_client, admin, "prevnet.test", territories, first_directory, namespace=namespace
        )
        second = MatrixNetwork(
            second_client, admin, "prevnet.test", territories, second_directory, namespace=namespace
        )
        reg = make_registry(homeserver)
        specs = room_catalogue(reg.orgs.values(), territories)
        one, two = ReconcileReport(), ReconcileReport()
        ids_one, ids_two = await asyncio.gather(
            first.ensure_rooms(specs, one), second.ensure_rooms(specs, two)
        )
        assert ids_one == ids_two and set(ids_one) == set(specs)
        assert sorted(one.rooms_created + two.rooms_created) == sorted(specs)
        assert not one.problems and not two.problems
        rooms = await admin.request(
            "GET", f"/_synapse/admin/v1/rooms?search_term={namespace}zone-5324&limit=50"
        )
        assert rooms is not None and [r["room_id"] for r in rooms["rooms"]] == [
            ids_one["zone:5324"]
        ]
    finally:
        await first_client.close()
        await second_client.close()
        if other_db is not db:
            await other_db.close()
