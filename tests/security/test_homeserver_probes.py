"""The generated homeserver is closed, proved on the running server, one property at a time.

These held when prevnet was probed as an adversarial member would; each test keeps one from
reopening: federation, registration, guests, the room directory, profiles, the media repository,
the admin API and power levels.
"""

from __future__ import annotations

import stat
from pathlib import Path

import aiohttp

from bots.synapse_admin import SynapseAdmin
from tests.support.members import Caller, bot_room, person, status
from tests.support.synapse import SERVER_NAME, LocalHomeserver


async def test_federation_endpoints_answer_404(
    homeserver: LocalHomeserver, http: aiohttp.ClientSession
) -> None:
    for path in (
        "/_matrix/federation/v1/version",
        "/_matrix/key/v2/server",
        "/_matrix/federation/v1/query/profile?user_id=@x:prevnet.test",
    ):
        assert await status(http, "GET", homeserver.url + path) == 404, path


async def test_registration_is_refused(
    homeserver: LocalHomeserver, http: aiohttp.ClientSession
) -> None:
    body = {"username": "intruder", "password": "x" * 12, "auth": {"type": "m.login.dummy"}}
    async with http.post(homeserver.url + "/_matrix/client/v3/register", json=body) as response:
        assert response.status == 403
        assert (await response.json())["errcode"] == "M_FORBIDDEN"


async def test_guest_access_is_refused(
    homeserver: LocalHomeserver, http: aiohttp.ClientSession
) -> None:
    url = homeserver.url + "/_matrix/client/v3/register?kind=guest"
    async with http.post(url, json={}) as response:
        assert response.status == 403
        assert (await response.json())["error"] == "Guest access is disabled"


async def test_no_public_room_directory(
    homeserver: LocalHomeserver, http: aiohttp.ClientSession, admin: SynapseAdmin
) -> None:
    alice = await person(admin, homeserver, "alice")
    auth = {"Authorization": f"Bearer {alice.access_token}"}
    async with http.post(
        homeserver.url + "/_matrix/client/v3/createRoom", json={}, headers=auth
    ) as r:
        room_id = (await r.json())["room_id"]
    publish = f"{homeserver.url}/_matrix/client/v3/directory/list/room/{room_id}"
    assert await status(http, "PUT", publish, json={"visibility": "public"}, headers=auth) == 403
    async with http.get(homeserver.url + "/_matrix/client/v3/publicRooms", headers=auth) as r:
        assert (await r.json())["chunk"] == []
    assert await status(http, "GET", homeserver.url + "/_matrix/client/v3/publicRooms") == 401


async def test_profiles_and_search_only_among_people_who_share_a_room(
    homeserver: LocalHomeserver, http: aiohttp.ClientSession, admin: SynapseAdmin
) -> None:
    alice = await person(admin, homeserver, "alice")
    bob = await person(admin, homeserver, "bob")
    auth = {"Authorization": f"Bearer {alice.access_token}"}
    profile = f"{homeserver.url}/_matrix/client/v3/profile/{bob.user_id}"
    assert await status(http, "GET", profile) == 401
    assert await status(http, "GET", profile, headers=auth) in (403, 404)
    search = homeserver.url + "/_matrix/client/v3/user_directory/search"
    async with http.post(search, json={"search_term": bob.user_id[1:9]}, headers=auth) as r:
        assert (await r.json())["results"] == []
    async with http.post(
        homeserver.url + "/_matrix/client/v3/createRoom",
        json={"invite": [bob.user_id]},
        headers=auth,
    ) as r:
        room_id = (await r.json())["room_id"]
    await admin.request("POST", f"/_matrix/client/v3/join/{room_id}", {}, token=bob.access_token)
    assert await status(http, "GET", profile, headers=auth) == 200


async def test_admin_api_refuses_ordinary_members(
    homeserver: LocalHomeserver, http: aiohttp.ClientSession, admin: SynapseAdmin
) -> None:
    alice = await person(admin, homeserver, "alice")
    auth = {"Authorization": f"Bearer {alice.access_token}"}
    assert (
        await status(http, "GET", homeserver.url + "/_synapse/admin/v2/users", headers=auth) == 403
    )


def test_listens_on_loopback_only(homeserver: LocalHomeserver) -> None:
    port = homeserver.server.options.port
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if int(hex_port, 16) == port and state == "0A":  # LISTEN
                listening.append(address)
    assert listening == ["0100007F"], listening  # 127.0.0.1, and nothing else


def test_secrets_are_owner_only(homeserver: LocalHomeserver) -> None:
    files = homeserver.server.files
    assert stat.S_IMODE(files.root.stat().st_mode) == 0o700
    for path in (files.secrets, files.config, *files.root.glob("*.signing.key")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert "registration_shared_secret" in files.secrets.read_text()


async def test_media_needs_an_account_and_stays_on_this_server(
    homeserver: LocalHomeserver, http: aiohttp.ClientSession, admin: SynapseAdmin
) -> None:
    alice = await person(admin, homeserver, "alice")
    auth = {"Authorization": f"Bearer {alice.access_token}"}
    upload = homeserver.url + "/_matrix/media/v3/upload?filename=note.txt"
    headers = {"Content-Type": "text/plain"}
    assert await status(http, "POST", upload, data=b"RED", headers=headers) == 401
    async with http.post(upload, data=b"RED", headers={**headers, **auth}) as response:
        assert response.status == 200
        media_id = (await response.json())["content_uri"].rsplit("/", 1)[1]
    download = f"{homeserver.url}/_matrix/client/v1/media/download/{SERVER_NAME}/{media_id}"
    assert await status(http, "GET", download) == 401
    async with http.get(download, headers=auth) as response:
        assert response.status == 200
        assert await response.read() == b"RED"
    # the old unauthenticated download path does not serve it
    legacy = f"{homeserver.url}/_matrix/media/v3/download/{SERVER_NAME}/{media_id}"
    assert await status(http, "GET", legacy) == 404
    # no fetch from another server, and no federation endpoint that would serve ours
    remote = f"{homeserver.url}/_matrix/client/v1/media/download/evil.example/abc"
    assert await status(http, "GET", remote, headers=auth) in (403, 404)
    federation = f"{homeserver.url}/_matrix/federation/v1/media/download/{media_id}"
    assert await status(http, "GET", federation) == 404


async def test_a_member_cannot_raise_their_power_in_a_prevnet_room(
    homeserver: LocalHomeserver, http: aiohttp.ClientSession, admin: SynapseAdmin
) -> None:
    bot = Caller(http, homeserver.url, homeserver.bot)
    member = Caller(http, homeserver.url, await person(admin, homeserver, "member"))
    room = await bot_room(bot, admin, member, power=0)
    levels = await member.state(room, "m.room.power_levels")
    raised = {**levels, "users": {**levels.get("users", {}), member.user_id: 100}}
    answer = await member.put_state(room, "m.room.power_levels", raised)
    assert answer.status == 403, answer
    assert await member.state(room, "m.room.power_levels") == levels
