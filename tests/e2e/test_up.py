"""``prevnet up --demo`` as a person uses it: log in, administer members in chat, stop, resume."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import nio

from bots.synapse_admin import SynapseAdmin
from tests.support.bots import wait_until_joined
from tests.support.people import Person
from tests.support.up import SERVER, Running, start, stop


async def test_up_demo_admin_in_chat_stop_and_resume(network: Running, tmp_path: Path) -> None:
    accounts = network.accounts()
    assert len(accounts) >= 10
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{network.api_port}/health") as response:
            assert response.status == 200, await response.text()
            health = await response.json()
        assert health["homeserver"] == "ok" and health["database"] == "ok"
        async with http.get(f"http://127.0.0.1:{network.api_port}/metrics") as response:
            assert "prevnet_outbox_depth" in await response.text()
    admin_id = f"@admin:{SERVER}"
    admin = Person(network.url, admin_id, tmp_path / "admin-keys")
    await admin.login(accounts[admin_id])
    try:
        admin_room = await admin.room(f"#admin:{SERVER}")
        zone_room = await admin.room(f"#zone-5324:{SERVER}")
        assert admin_room in admin.client.rooms, "the admin was not joined to #admin"

        await admin.say(admin_room, "!member list org=pcs-mons")
        reply = await admin.wait_for(
            lambda room, e: (
                room == admin_room
                and isinstance(e, nio.RoomMessageNotice)
                and "prevention.mons" in e.body
            )
        )
        assert "1 member(s)" in reply.body

        newcomer = f"@nouvelle:{SERVER}"
        await admin.say(
            admin_room, f'!member add {newcomer} org=pcs-mons name="Alice Nouvelle" roles=author'
        )
        await admin.wait_for(
            lambda room, e: (
                isinstance(e, nio.RoomMessageNotice)
                and newcomer in e.body
                and "being set up" in e.body
            )
        )
        async with aiohttp.ClientSession() as http:
            synapse = SynapseAdmin(http, network.url, network.bot_token())
            await wait_until_joined(synapse, zone_room, newcomer)  # joined to #zone-5324
            user = await synapse.get_user(newcomer)
            assert user is not None and user["displayname"] == "Alice Nouvelle"

            leaver = f"@prevention.quevy:{SERVER}"
            await admin.say(admin_room, f"!member remove {leaver} left the service")
            await admin.wait_for(
                lambda room, e: isinstance(e, nio.RoomMessageNotice) and "is removed" in e.body
            )
            for _ in range(100):
                account = await synapse.get_user(leaver)
                if account is not None and account["deactivated"]:
                    break
                await asyncio.sleep(0.1)
            assert account is not None and account["deactivated"]
            assert leaver not in await synapse.room_members(zone_room)

            await admin.say(admin_room, "!member add nobody")
            await admin.wait_for(
                lambda room, e: (
                    isinstance(e, nio.RoomMessageNotice)
                    and f"'nobody' is not a Matrix user ID: write it as @name:{SERVER}" in e.body
                )
            )
            await admin.say(admin_room, f"!member add @x:{SERVER}")
            await admin.wait_for(
                lambda room, e: (
                    isinstance(e, nio.RoomMessageNotice)
                    and "org= and name= are required. Usage: !member add" in e.body
                )
            )

            # an admin of the room cannot invite by hand (the homeserver's rules: only the bot
            # invites); someone a server admin adds by hand is removed and reported in #admin
            hainaut = await admin.room(f"#province-50000:{SERVER}")
            stranger_to_hainaut = f"@analist.oostende:{SERVER}"
            invited = await admin.client.room_invite(hainaut, stranger_to_hainaut)
            assert isinstance(invited, nio.RoomInviteError), invited
            assert "only prevnet invites" in invited.message
            await synapse.force_join(stranger_to_hainaut, hainaut)
            assert (await synapse.room_members(hainaut)).get(stranger_to_hainaut) == "join"
            await admin.say(admin_room, "!reconcile")
            report = await admin.wait_for(
                lambda room, e: isinstance(e, nio.RoomMessageNotice) and "Reconciliation" in e.body
            )
            assert f"removed {stranger_to_hainaut} from province:50000" in report.body
            assert stranger_to_hainaut not in await synapse.room_members(hainaut)

            # the bot's answers are stored on the server only in encrypted form
            history = await synapse.request(
                "GET", f"/_synapse/admin/v1/rooms/{admin_room}/messages?dir=b&limit=100"
            )
            assert history is not None
            from_bot = [
                e
                for e in history["chunk"]
                if e["sender"] == f"@prevnet:{SERVER}"
                and e["type"] in ("m.room.message", "m.room.encrypted")
            ]
            assert from_bot and {e["type"] for e in from_bot} == {"m.room.encrypted"}
    finally:
        await admin.close()

    assert await stop(network) == 0
    again = await start(network.data, int(network.url.rsplit(":", 1)[1]))
    try:
        now = again.accounts()
        leaver = f"@prevention.quevy:{SERVER}"
        assert leaver not in now, "a removed member is still offered as a demo account"
        assert {k: v for k, v in accounts.items() if k != leaver}.items() <= now.items()
        assert newcomer in now
        async with aiohttp.ClientSession() as http:
            synapse = SynapseAdmin(http, again.url, again.bot_token())
            rooms = await synapse.request("GET", "/_synapse/admin/v1/rooms?limit=500")
            assert rooms is not None
            aliases = [r["canonical_alias"] for r in rooms["rooms"] if r["canonical_alias"]]
            assert len(aliases) == len(set(aliases)), "a room was created twice"
            assert (await synapse.room_members(zone_room)).get(newcomer) == "join"
    finally:
        assert await stop(again) == 0


async def test_a_member_without_the_admin_role_is_refused(network: Running, tmp_path: Path) -> None:
    author = f"@prevention.mons:{SERVER}"
    person = Person(network.url, author, tmp_path / "author-keys")
    await person.login(network.accounts()[author])
    try:
        toolbox = await person.room(f"#toolbox:{SERVER}")
        await person.say(toolbox, "!member list")
        refusal = await person.wait_for(
            lambda room, e: room == toolbox and isinstance(e, nio.RoomMessageNotice)
        )
        assert "needs the admin role" in refusal.body
        await person.say(toolbox, "!help")
        help_text = await person.wait_for(
            lambda room, e: (
                isinstance(e, nio.RoomMessageNotice) and "Commands you can use" in e.body
            )
        )
        assert "member add" not in help_text.body
    finally:
        await person.close()
