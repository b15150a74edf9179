"""A published capsule's channels beside Matrix, on SQLite and PostgreSQL: the public Atom feed
served over HTTP (read by feedparser), and the mail to the commune's BIN/PLP coordinators
through a real SMTP relay (aiosmtpd), once, however often the event is delivered."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import aiohttp
import feedparser
import pytest
from aiohttp import web
from PIL import Image
from pypdf import PdfReader

from phenomena.capsules.service import parse_capsule_ref
from phenomena.events import CapsulePublished
from phenomena.partners import Organisation
from phenomena.storage.capsules import SqlCapsules
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.outbox import Outbox
from phenomena.territory import TerritoryRegistry
from prevnet.capsule_feed import add_capsule_feed, card_png
from prevnet.capsule_mail import CapsuleMailer, capsule_mail_subscription
from prevnet.capsule_media.printed import render_poster
from prevnet.dispatch import Dispatcher
from prevnet.mail.sender import SmtpSender
from tests.capsules.test_capsule_commands import capsule_ref, capsules, published, text
from tests.mail.smtp_relay import Relay, free_port, relay
from tests.support.alert_desk import Desk

__all__ = ["relay"]
BASE = "https://prevnet.example.be"


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


@pytest.fixture
async def site(desk: Desk) -> AsyncIterator[str]:
    """The feed served by aiohttp on a free loopback port; yields its address."""
    app = web.Application()
    add_capsule_feed(app, SqlCapsules(desk.db), desk.territories, BASE)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def fetch(url: str) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, response.content_type, await response.read()


async def test_the_feed_serves_published_capsules_only(desk: Desk, site: str) -> None:
    capsules(desk, per_week=1)
    ref = await published(desk)
    out = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    await desk.say("analyste.mons", f"!capsule approve {out}")
    waiting = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    await desk.say("analyste.mons", f"!capsule approve {waiting}")
    draft = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    await desk.say("prevention.mons", f"!capsule edit {draft} title: Jamais approuvé")

    status, kind, body = await fetch(f"{site}/capsules/53053/fr.atom")
    assert status == 200 and kind == "application/atom+xml"
    parsed = feedparser.parse(body)
    assert parsed.bozo is False, parsed.get("bozo_exception")
    assert [e.id for e in parsed.entries] == [f"{BASE}/capsules/53053/fr.atom#{out}"]
    assert parsed.entries[0].link == "https://www.mons.be/vivre-a-mons/prevention"
    assert "Jamais approuvé" not in body.decode()

    [enclosure] = [k for k in parsed.entries[0].links if k.rel == "enclosure"]
    assert enclosure.href == f"{BASE}/capsules/53053/{out}-fr.png"
    status, kind, png = await fetch(f"{site}/capsules/53053/{out}-fr.png")
    assert status == 200 and kind == "image/png"
    assert Image.open(io.BytesIO(png)).size == (1080, 1080)
    for unpublished in (waiting, draft):  # a waiting or draft capsule's card is nobody's
        assert (await fetch(f"{site}/capsules/53053/{unpublished}-fr.png"))[0] == 404
    assert (await fetch(f"{site}/capsules/53084/{out}-fr.png"))[0] == 404  # another commune

    other = feedparser.parse((await fetch(f"{site}/capsules/53053/nl.atom"))[2])
    assert other.bozo is False and other.entries == []  # Mons writes in French
    assert (await fetch(f"{site}/capsules/99999/fr.atom"))[0] == 404


async def test_the_coordinators_get_one_mail_with_the_card_and_the_poster(
    desk: Desk, relay: Relay
) -> None:
    capsules(desk)
    ref = await published(desk)
    c = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    assert "published" in text(await desk.say("analyste.mons", f"!capsule approve {c}"))
    store = SqlCapsules(desk.db)

    async def organisations() -> list[Organisation]:
        return list((await desk.desk.registry())[1].values())

    mailer = CapsuleMailer(
        SmtpSender(relay.settings()),
        SqlEmailDeliveries(desk.db),
        store.get,
        organisations,
        desk.territories,
        card_png,
        render_poster,
    )
    outbox = Outbox(desk.db, "mail-test", desk.clock)
    dispatcher = Dispatcher(outbox, [capsule_mail_subscription(mailer)], clock=desk.clock)
    await dispatcher.run_once()
    [mail] = relay.inbox.to("coordination.bin@example.org")
    assert c in str(mail["Subject"]) and "Mons" in str(mail["Subject"])
    body = mail.get_body(("plain",))
    assert body is not None and "Fermez portes et fenêtres à clé" in body.get_content()
    files = {p.get_filename(): p.get_content() for p in mail.iter_attachments()}
    number = parse_capsule_ref(c)
    png = Image.open(io.BytesIO(files[f"capsule-{number}-fr.png"]))
    assert png.format == "PNG" and png.size == (1080, 1080)
    assert len(PdfReader(io.BytesIO(files[f"capsule-{number}-fr.pdf"])).pages) == 1

    # the same event delivered again (a retry after a crash) mails nobody twice
    await outbox.enqueue([CapsulePublished(number, "53053")])
    await dispatcher.run_once()
    assert len(relay.inbox.to("coordination.bin@example.org")) == 1
