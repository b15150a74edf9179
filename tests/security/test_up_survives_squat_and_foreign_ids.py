"""``prevnet up`` as a process: a squatted zone address and a foreign member stop nothing.

Findings 1 to 3 of issue 15 on the whole network: a member's room under a zone's address (as an
older network could hold it) was adopted when that zone's organisation was imported, and the
reconciliation then failed on a kick the homeserver refused; a member of another server made
every start fail. Now the network starts, the zone gets a room the bot made, the squatter's room
gets nobody, and ``/health`` names both problems with their fix.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from click.testing import CliRunner

from bots.synapse_admin import Session, SynapseAdmin
from phenomena.partners import Member, Role
from phenomena.storage.database import Database, sqlite_url
from phenomena.storage.unit_of_work import SqlUnitOfWork
from prevnet.cli import cli
from tests.support.members import Caller
from tests.support.synapse import free_port
from tests.support.up import SERVER, Running, start, stop

BOT = f"@prevnet:{SERVER}"
ZONE_ALIAS = f"#zone-5326:{SERVER}"  # ZP Sylle et Dendre: no partner in the demo, so no room

PARTNERS = """\
organisations:
  - key: zp-sylle-dendre
    name: Zone de police Sylle et Dendre
    kind: police-zone
    territories: [zone 5326]
members:
  - matrix_id: "@inspecteur.ath:prevnet.localhost"
    name: Inspecteur Ath
    organisation: zp-sylle-dendre
    roles: [author]
"""


async def login(http: aiohttp.ClientSession, running: Running, user_id: str) -> Caller:
    body = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user_id},
        "password": running.accounts()[user_id],
    }
    async with http.post(f"{running.url}/_matrix/client/v3/login", json=body) as response:
        answer = await response.json()
    assert response.status == 200, answer
    return Caller(http, running.url, Session(user_id, answer["access_token"], answer["device_id"]))


async def health(http: aiohttp.ClientSession, running: Running) -> dict[str, object]:
    async with http.get(f"http://127.0.0.1:{running.api_port}/health") as response:
        body: dict[str, object] = await response.json()
    assert response.status == 200, body  # problems need a person; the network still works
    return body


async def test_a_squatted_zone_address_and_a_foreign_member_do_not_stop_prevnet_up(
    tmp_path: Path,
) -> None:
    data, port = tmp_path / "data", free_port()
    running = await start(data, port)
    try:
        async with aiohttp.ClientSession() as http:
            squatter = await login(http, running, f"@prevention.frameries:{SERVER}")
            refused = await squatter.create_room(preset="private_chat", room_alias_name="zone-5326")
            assert refused.status == 403, refused  # the homeserver keeps the address for the bot
            made = await squatter.create_room(preset="private_chat", invite=[BOT])
            assert made.status == 200, made
            squat = str(made.body["room_id"])
            # the squat as a network from before the rules could hold it
            bot = Caller(http, running.url, Session(BOT, running.bot_token(), "BOT"))
            assert (await bot.set_alias(ZONE_ALIAS, squat)).status == 200
    finally:
        assert await stop(running) == 0

    partners = tmp_path / "partners.yaml"
    partners.write_text(PARTNERS, encoding="utf-8")
    imported = await asyncio.to_thread(  # the command line runs its own event loop
        CliRunner().invoke, cli, ["--data-dir", str(data), "partners", "import", str(partners)]
    )
    assert imported.exit_code == 0, imported.output
    db = Database.connect(sqlite_url(data / "prevnet.sqlite3"))
    try:
        async with SqlUnitOfWork(db.sessions) as unit:  # as an older prevnet recorded it
            await unit.members.add(
                Member("@x:evil.example", "X", "zp-sylle-dendre", frozenset({Role.MEMBER}))
            )
            await unit.commit()
    finally:
        await db.close()

    running = await start(data, port)  # it gets ready: neither record stops it
    try:
        async with aiohttp.ClientSession() as http:
            synapse = SynapseAdmin(http, running.url, running.bot_token())
            zone = await synapse.resolve_alias(ZONE_ALIAS)
            assert zone is not None and zone != squat
            state = await synapse.request("GET", f"/_synapse/admin/v1/rooms/{zone}/state")
            assert state is not None
            create = next(e for e in state["state"] if e["type"] == "m.room.create")
            assert create["sender"] == BOT
            assert set(await synapse.room_members(zone)) == {BOT, f"@inspecteur.ath:{SERVER}"}
            squatted = await synapse.room_members(squat)
            assert squatted.get(BOT) != "join"  # the bot never went into the squatter's room
            assert set(squatted) - {BOT} == {f"@prevention.frameries:{SERVER}"}

            listed = (await health(http, running))["problems"]
            assert isinstance(listed, list)
            problems = [str(p) for p in listed]
            assert any(ZONE_ALIAS in p and squat in p and "Fix:" in p for p in problems), problems
            assert any("@x:evil.example" in p and "Fix:" in p for p in problems), problems
    finally:
        assert await stop(running) == 0
