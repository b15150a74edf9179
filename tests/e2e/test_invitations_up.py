"""``prevnet up`` with ``[email]``: ``!member add`` with an address mails an invitation whose link
sets the password on the running network, and ``!member list`` tells who never logged in."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import aiohttp
import nio

from bots.synapse_admin import SynapseAdmin
from tests.mail.invitation_site import LINK
from tests.mail.smtp_relay import Relay, relay
from tests.support.people import Person
from tests.support.up import SERVER, DemoTemplate, started

__all__ = ["relay"]
PASSWORD = "une longue promenade le long de la Haine"


async def mailed_link(relay: Relay, address: str, within: float = 60.0) -> str:
    """The set-password link of the first mail to arrive for ``address``."""
    deadline = time.monotonic() + within
    while not relay.inbox.to(address):
        assert time.monotonic() < deadline, f"no invitation reached {address}"
        await asyncio.sleep(0.2)
    body = relay.inbox.to(address)[0].get_body(preferencelist=("plain",))
    assert body is not None
    match = LINK.search(str(body.get_content()))
    assert match is not None
    return match.group(1)


async def test_member_add_mails_an_invitation_that_opens_the_account(
    relay: Relay, tmp_path: Path, demo_template: DemoTemplate
) -> None:
    env = {
        "PREVNET_SMTP_HOST": "127.0.0.1",
        "PREVNET_SMTP_PORT": str(relay.port),
        "PREVNET_SMTP_STARTTLS": "false",
        "PREVNET_EMAIL_FROM": "prevnet <prevnet@prevnet.example>",
    }
    async with started(tmp_path / "data", env, template=demo_template) as network:
        admin_id = f"@admin:{SERVER}"
        admin = Person(network.url, admin_id, tmp_path / "admin-keys")
        await admin.login(network.accounts()[admin_id])
        try:
            room = await admin.room(f"#admin:{SERVER}")
            newcomer = f"@nouvelle:{SERVER}"
            await admin.say(
                room,
                f'!member add {newcomer} org=pcs-mons name="Alice Nouvelle" '
                "email=alice.nouvelle@mons.example",
            )
            added = await admin.wait_for(
                lambda r, e: isinstance(e, nio.RoomMessageNotice) and newcomer in e.body
            )
            assert "An invitation goes to alice.nouvelle@mons.example" in added.body
            url = await mailed_link(relay, "alice.nouvelle@mons.example")
            assert url.startswith(f"http://127.0.0.1:{network.api_port}/account/password/")

            await admin.say(room, "!member list org=pcs-mons")
            listing = await admin.wait_for(
                lambda r, e: isinstance(e, nio.RoomMessageNotice) and "member(s)" in e.body
            )
            [line] = [x for x in listing.body.splitlines() if newcomer in x]
            assert "[never logged in]" in line

            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                async with http.get(url) as page:
                    text = await page.text()
                    assert page.status == 200, text
                csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', text)
                assert csrf is not None
                form = {"csrf": csrf.group(1), "password": PASSWORD, "again": PASSWORD}
                async with http.post(url, data=form) as done:
                    assert done.status == 200 and "mot de passe est enregistré" in await done.text()
                synapse = SynapseAdmin(http, network.url)
                session = await synapse.login(newcomer, PASSWORD)
                assert session.user_id == newcomer
                async with http.get(url) as again:
                    assert again.status == 410

            await admin.say(room, "!member list org=pcs-mons")
            listing = await admin.wait_for(
                lambda r, e: (
                    isinstance(e, nio.RoomMessageNotice)
                    and "member(s)" in e.body
                    and e.body != listing.body
                )
            )
            [line] = [x for x in listing.body.splitlines() if newcomer in x]
            assert "never logged in" not in line
        finally:
            await admin.close()
