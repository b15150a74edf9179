"""End to end: invitation mail, password chosen in Debian's headless chromium, Synapse login.

The link then fails a second time and after expiry; a forgotten password goes through the
request form to the registered address, and the new password replaces the old one.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, async_playwright

from bots.synapse_admin import MatrixAdminError, SynapseAdmin
from phenomena.partners import Member, Role
from phenomena.storage.database import Database, sqlite_url
from phenomena.storage.password_links import SqlPasswordLinks
from phenomena.territory import TerritoryRegistry
from prevnet.mail.invitation_service import InvitationService, invitation_service
from prevnet.settings import Settings
from tests.mail.invitation_site import LINK, Clock, seed_members
from tests.mail.smtp_relay import Relay, free_port, relay
from tests.support.synapse import LocalHomeserver

__all__ = ["relay"]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "a long walk along the Haine"


def debian_chromium() -> str:
    """The browser's path, or a failure saying how to install it (tests are never skipped)."""
    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install -y chromium"
    return CHROMIUM


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's chromium, headless (scripts/test installs it; no browser is downloaded)."""
    executable = debian_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


def last_link(relay: Relay, address: str) -> str:
    body = relay.inbox.to(address)[-1].get_body(preferencelist=("plain",))
    assert body is not None
    match = LINK.search(str(body.get_content()))
    assert match is not None
    return match.group(1)


async def choose_password(page: Page, url: str, password: str) -> str:
    await page.goto(url)
    await page.fill("#password", password)
    await page.fill("#again", password)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()
    return await page.inner_text("body")


async def test_invitation_to_login_in_a_real_browser(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    relay: Relay,
    browser: Browser,
    territories: TerritoryRegistry,
    sqlite_template: Path,
    tmp_path: Path,
) -> None:
    path = tmp_path / "prevnet.sqlite3"
    shutil.copy(sqlite_template, path)
    db = Database.connect(sqlite_url(path))
    matrix_id = homeserver.user_id(homeserver.unique("jean"))
    address = f"{matrix_id[1:].partition(':')[0]}@mons.example"
    member = Member(matrix_id, "Jean Dupont", "pcs-mons", frozenset({Role.MEMBER}), address)
    await seed_members(db, member)
    await admin.put_user(matrix_id, displayname="Jean Dupont")  # as prevnet up provisions it
    port = free_port()
    settings = Settings(email=relay.settings(), public_url=f"http://127.0.0.1:{port}")
    clock = Clock()
    links = SqlPasswordLinks(db, clock)
    service: InvitationService = invitation_service(
        settings, db, territories, homeserver.url, admin, links
    )
    app = web.Application()
    service.add_routes(app)
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        assert matrix_id in await service.never_logged_in([matrix_id])
        answer = await service.send_link(matrix_id, "invite")
        assert address in answer
        url = last_link(relay, address)
        page = await browser.new_page()
        text = await choose_password(page, url, PASSWORD)
        assert "Votre mot de passe est enregistré" in text
        session = await admin.login(matrix_id, PASSWORD)
        assert session.user_id == matrix_id
        assert matrix_id not in await service.never_logged_in([matrix_id])

        await page.goto(url)  # the second time
        assert "déjà servi" in await page.inner_text("body")
        assert await page.locator("#password").count() == 0

        await service.send_link(matrix_id, "invite")  # a fresh link, left to expire
        stale = last_link(relay, address)
        clock.now += timedelta(hours=72, minutes=1)
        await page.goto(stale)
        assert "expiré" in await page.inner_text("body")

        await page.click("#ask-new")  # the forgotten-password form, from the expired page
        await page.fill("#address", address.upper())
        await page.click("button[type=submit]")
        await page.wait_for_load_state()
        assert "Si cette adresse appartient à un compte prevnet" in await page.inner_text("body")
        await service.pages.settle()
        reset = last_link(relay, address)
        assert reset != stale
        text = await choose_password(page, reset, PASSWORD + " again")
        assert "Votre mot de passe est enregistré" in text
        await admin.login(matrix_id, PASSWORD + " again")
        with pytest.raises(MatrixAdminError) as refused:
            await admin.login(matrix_id, PASSWORD)
        assert refused.value.status == 403
    finally:
        await server.close()
        await db.close()
