"""On a real Synapse: choosing a password through an invitation link, as through a reset link,
logs the account out of the devices it already had (whoever held it before loses it)."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bots.synapse_admin import MatrixAdminError, SynapseAdmin
from phenomena.partners import Member, Role
from phenomena.storage.database import Database, sqlite_url
from phenomena.territory import TerritoryRegistry
from prevnet.mail.invitation_service import invitation_service
from prevnet.settings import Settings
from tests.mail.invitation_site import LINK, seed_members
from tests.mail.smtp_relay import Relay, free_port, relay
from tests.support.synapse import LocalHomeserver

__all__ = ["relay"]
WHOAMI = "/_matrix/client/v3/account/whoami"


async def choose(url: str, password: str) -> str:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(url) as page:
            match = re.search(r'name="csrf" value="([0-9a-f]+)"', await page.text())
            assert match is not None
        form = {"csrf": match.group(1), "password": password, "again": password}
        async with http.post(url, data=form) as answer:
            return html.unescape(await answer.text())


async def test_invite_and_reset_links_log_out_the_devices_of_an_account_used_before(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    relay: Relay,
    territories: TerritoryRegistry,
    sqlite_template: Path,
    tmp_path: Path,
) -> None:
    path = tmp_path / "prevnet.sqlite3"
    shutil.copy(sqlite_template, path)
    db = Database.connect(sqlite_url(path))
    matrix_id = homeserver.user_id(homeserver.unique("jean"))
    address = f"{matrix_id[1:].partition(':')[0]}@mons.example"
    await seed_members(
        db, Member(matrix_id, "Jean Dupont", "pcs-mons", frozenset({Role.MEMBER}), address)
    )
    await admin.put_user(matrix_id, password="a password someone else knew")
    earlier = await admin.login(matrix_id, "a password someone else knew")
    port = free_port()
    settings = Settings(email=relay.settings(), public_url=f"http://127.0.0.1:{port}")
    service = invitation_service(settings, db, territories, homeserver.url, admin)
    app = web.Application()
    service.add_routes(app)
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        await service.send_link(matrix_id, "invite")
        text = await choose(last_link(relay, address), "a long walk along the Haine")
        assert "Votre mot de passe est enregistré" in text
        with pytest.raises(MatrixAdminError) as gone:
            await admin.request("GET", WHOAMI, token=earlier.access_token)
        assert gone.value.status == 401  # the device from before is logged out

        second = await admin.login(matrix_id, "a long walk along the Haine")
        await service.send_link(matrix_id, "reset")
        text = await choose(last_link(relay, address), "another long walk to Mons")
        assert "Votre mot de passe est enregistré" in text
        with pytest.raises(MatrixAdminError) as gone_too:
            await admin.request("GET", WHOAMI, token=second.access_token)
        assert gone_too.value.status == 401
        await admin.login(matrix_id, "another long walk to Mons")
    finally:
        await server.close()
        await db.close()


def last_link(relay: Relay, address: str) -> str:
    body = relay.inbox.to(address)[-1].get_body(preferencelist=("plain",))
    assert body is not None
    match = LINK.search(str(body.get_content()))
    assert match is not None
    return match.group(1)
