"""The links of a delivered bulletin e-mail, followed over HTTP: acknowledge records the member's
organisation's reach as a reaction would; one-click unsubscribe stops the next bulletins."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from phenomena.alert import parse_ref
from phenomena.email_policy import EmailPreference
from phenomena.services.partners import suspend_member
from phenomena.storage.database import Database
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.mail.bulletin_wiring import add_bulletin_mail_routes, chat_links
from prevnet.settings import Settings
from tests.mail.bulletin_desk import MailDesk
from tests.mail.smtp_relay import Relay, relay
from tests.mail.support import plain
from tests.support.alert_desk import Desk, user

__all__ = ["relay"]


@pytest.fixture
async def mail(
    db: Database, territories: TerritoryRegistry, relay: Relay, tmp_path: Path
) -> MailDesk:
    desk = Desk(db, territories)
    await desk.load_demo()
    found = MailDesk(desk, relay, tmp_path)
    await found.start()
    await found.choose("prevention.quevy", "all")
    return found


@pytest.fixture
async def pages(mail: MailDesk) -> AsyncIterator[str]:
    app = web.Application()  # as prevnet up mounts them on its pages' server
    assert add_bulletin_mail_routes(
        app, mail.settings(), mail.desk.db, mail.desk.territories, mail.desk.ledger
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def on(pages: str, link: str) -> str:
    """The link as the member's browser follows it, to the test's web server."""
    parts = urlsplit(link)
    return f"{pages}{parts.path}?{parts.query}" if parts.query else f"{pages}{parts.path}"


def ack_link(text: str) -> str:
    found = re.search(r"https://prevnet\.test/mail/ack/\S+", text)
    assert found is not None, text
    return found.group(0)


async def test_acknowledge_link_records_the_organisations_reach(mail: MailDesk, pages: str) -> None:
    ref = await mail.publish("green", "Doors forced in Hyon")
    await mail.mail()
    [got] = mail.inbox("prevention.quevy")
    link = on(pages, ack_link(plain(got)))
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as shown:  # a link scanner's GET changes nothing
            assert shown.status == 200
        assert await mail.desk.ledger.acknowledgements(parse_ref(ref)) == {}
        async with http.post(link) as done:
            assert done.status == 200
    assert await mail.desk.ledger.acknowledgements(parse_ref(ref)) == {
        "pcs-quevy": [user("prevention.quevy")]
    }


async def test_a_suspended_members_link_records_nothing(mail: MailDesk, pages: str) -> None:
    ref = await mail.publish("green", "Doors forced in Hyon")
    await mail.mail()
    [got] = mail.inbox("prevention.quevy")
    await suspend_member(
        SqlUnitOfWork(mail.desk.db.sessions, mail.desk.clock),
        user("prevention.quevy"),
        user("admin"),
        "left",
        mail.desk.clock(),
    )
    async with aiohttp.ClientSession() as http, http.post(on(pages, ack_link(plain(got)))) as r:
        assert r.status == 503
    assert await mail.desk.ledger.acknowledgements(parse_ref(ref)) == {}


async def test_one_click_unsubscribe_stops_the_next_bulletins(mail: MailDesk, pages: str) -> None:
    await mail.publish("green", "Doors forced in Hyon")
    await mail.mail()
    [got] = mail.inbox("prevention.quevy")
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = on(pages, str(got["List-Unsubscribe"]).strip("<>"))
    async with (
        aiohttp.ClientSession() as http,
        http.post(link, data={"List-Unsubscribe": "One-Click"}) as done,
    ):
        assert done.status == 200
    member = user("prevention.quevy")
    assert await mail.deliveries.preference(member) is EmailPreference.NONE
    await mail.publish("green", "Doors forced in Nimy")
    await mail.mail()
    assert len(mail.inbox("prevention.quevy")) == 1


async def test_the_open_link_points_at_the_posted_bulletin_else_its_room(mail: MailDesk) -> None:
    ref = await mail.publish("green", "Doors forced in Hyon")
    alert = await mail.desk.alert(parse_ref(ref))

    async def room_id_of(key: str) -> str | None:
        return f"!{key}" if key in mail.desk.existing else None

    link = chat_links(mail.desk.ledger, room_id_of)
    assert (await link(alert, "zone:5324")).url == "https://matrix.to/#/!zone:5324"
    await mail.desk.deliver()  # the bulletins are posted in Matrix and recorded
    record = (await mail.desk.ledger.bulletins(alert.id))["zone:5324"]
    opened = await link(alert, "zone:5324")
    assert (opened.room_id, opened.event_id) == (record.room_id, record.event_id)


async def test_without_email_settings_no_page_is_served(mail: MailDesk) -> None:
    app = web.Application()
    settings = Settings(data_dir=mail.data_dir)
    assert not add_bulletin_mail_routes(
        app, settings, mail.desk.db, mail.desk.territories, mail.desk.ledger
    )
    assert not list(app.router.routes())
