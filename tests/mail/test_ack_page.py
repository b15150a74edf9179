"""The acknowledge and unsubscribe links of a bulletin e-mail, opened on a real local server."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from phenomena.territory import TerritoryRegistry
from prevnet.mail.ack_page import add_mail_link_routes
from prevnet.mail.bulletin_mail import render_bulletin_mail
from prevnet.mail.signing import Purpose
from tests.mail.support import CHAT, CLAIRE, SETUP, SIGNER, SOURCE, alert, plain


@dataclass
class Site:
    base: str
    acks: list[tuple[int, str]] = field(default_factory=list)
    unsubscribed: list[tuple[int, str]] = field(default_factory=list)
    broken: bool = False


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    state = Site("")

    async def record_ack(alert_id: int, member_id: str) -> None:
        if state.broken:
            raise RuntimeError("database down")
        state.acks.append((alert_id, member_id))

    async def unsubscribe(alert_id: int, member_id: str) -> None:
        state.unsubscribed.append((alert_id, member_id))

    app = web.Application()
    add_mail_link_routes(app, SIGNER, record_ack, unsubscribe)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state.base = str(server.make_url("")).rstrip("/")
    yield state
    await server.close()


def links_in_mail(territories: TerritoryRegistry, base: str) -> tuple[str, str]:
    """The acknowledge and unsubscribe links of Claire's mail, pointed at the test server."""
    msg = render_bulletin_mail(alert(), CLAIRE, SETUP, territories, CHAT, SOURCE)
    assert msg is not None
    ack = re.search(r"https://prevnet\.example(/mail/ack/\S+)", plain(msg))
    assert ack is not None
    unsubscribe = str(msg["List-Unsubscribe"]).strip("<>").replace("https://prevnet.example", "")
    return base + ack.group(1), base + unsubscribe


async def test_get_shows_a_button_and_post_records_the_acknowledgement(
    site: Site, territories: TerritoryRegistry, http: aiohttp.ClientSession
) -> None:
    ack, _ = links_in_mail(territories, site.base)
    async with http.get(ack) as page:
        assert page.status == 200
        text = html.unescape(await page.text())
        assert "Signaler à l'auteur de A-12" in text and "<button" in text
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
    assert site.acks == []  # a link scanner's GET records nothing
    async with http.post(ack) as done:
        assert done.status == 200 and "C'est noté" in html.unescape(await done.text())
    assert site.acks == [(12, CLAIRE.member_id)]


async def test_one_click_unsubscribe_is_a_post_and_get_changes_nothing(
    site: Site, territories: TerritoryRegistry, http: aiohttp.ClientSession
) -> None:
    _, unsubscribe = links_in_mail(territories, site.base)
    async with http.get(unsubscribe) as page:
        assert page.status == 200 and "Stop receiving bulletins" in await page.text()
    assert site.unsubscribed == []
    async with http.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}) as done:
        assert done.status == 200 and "no more bulletins by e-mail" in await done.text()
    assert site.unsubscribed == [(12, CLAIRE.member_id)]


async def test_a_link_works_for_its_own_purpose_only(
    site: Site, http: aiohttp.ClientSession
) -> None:
    unsubscribe_token = SIGNER.link_token(Purpose.UNSUBSCRIBE, 12, CLAIRE.member_id)
    reply_token = SIGNER.link_token(Purpose.REPLY, 12, CLAIRE.member_id)
    for token in (unsubscribe_token, reply_token, "garbage", unsubscribe_token[:-1] + "a"):
        async with http.post(f"{site.base}/mail/ack/{token}?l=nl") as page:
            assert page.status == 404
            assert "Deze link is niet geldig" in await page.text()
    ack_token = SIGNER.link_token(Purpose.ACKNOWLEDGE, 12, CLAIRE.member_id)
    async with http.post(f"{site.base}/mail/unsubscribe/{ack_token}") as page:
        assert page.status == 404 and "This link is not valid" in await page.text()
    assert site.acks == [] and site.unsubscribed == []


async def test_a_failure_to_record_says_to_try_again(
    site: Site, territories: TerritoryRegistry, http: aiohttp.ClientSession
) -> None:
    ack, _ = links_in_mail(territories, site.base)
    site.broken = True
    async with http.post(ack) as page:
        assert page.status == 503 and "Réessayez" in html.unescape(await page.text())
