"""A published capsule's channels beside Matrix, on SQLite and PostgreSQL: the public Atom feed
served over HTTP (read by feedparser) with both cards, and the mail to the commune's BIN/PLP
coordinators through a real SMTP relay (aiosmtpd), once, however often the event is delivered,
with the cocoon letter when detection proposed the alert, and an unsubscribe link that works."""

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
from phenomena.detection.records import DetectionRecord
from phenomena.events import CapsulePublished
from phenomena.partners import Organisation
from phenomena.storage.capsules import SqlCapsules
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.capsule_feed import add_capsule_feed
from prevnet.capsule_files import CapsuleRenderer
from prevnet.capsule_mail import CapsuleMailer, capsule_mail_subscription
from prevnet.capsule_unsubscribe import add_capsule_unsubscribe_routes, unsubscribe_url
from prevnet.dispatch import Dispatcher
from prevnet.mail.bulletin_mail import UNSUBSCRIBE_PATH
from prevnet.mail.sender import SmtpSender
from prevnet.mail.signing import MailSigner, Purpose
from tests.capsules.test_capsule_commands import (
    capsule_ref,
    capsules,
    proposed_by_detection,
    published,
    text,
)
from tests.mail.smtp_relay import Relay, free_port, relay
from tests.support.alert_desk import Desk

__all__ = ["relay"]
BASE = "https://prevnet.example.be"
SIGNER = MailSigner(b"capsule tests' signing secret, 32+ bytes")
COORDINATOR = "coordination.bin@example.org"


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
    add_capsule_unsubscribe_routes(app, SIGNER, SqlCapsules(desk.db).opt_out, desk.clock)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def fetch(url: str, method: str = "GET", data: str | None = None) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as http, http.request(method, url, data=data) as response:
        return response.status, response.content_type, await response.read()


def mailer(desk: Desk, relay: Relay, site: str = BASE) -> Dispatcher:
    """The coordinators' mailer as ``prevnet up`` wires it, behind a dispatcher of the outbox."""
    store = SqlCapsules(desk.db)

    async def organisations() -> list[Organisation]:
        return list((await desk.desk.registry())[1].values())

    async def detection_of(alert_id: int) -> DetectionRecord | None:
        async with SqlUnitOfWork(desk.db.sessions) as unit:
            return await unit.detections.get(alert_id)

    handler = CapsuleMailer(
        SmtpSender(relay.settings()),
        SqlEmailDeliveries(desk.db),
        store.get,
        organisations,
        desk.territories,
        CapsuleRenderer(detection_of),
        store.opted_out,
        lambda capsule_id, address, language: unsubscribe_url(
            SIGNER, site, capsule_id, address, language
        ),
    )
    outbox = Outbox(desk.db, "mail-test", desk.clock)
    return Dispatcher(outbox, [capsule_mail_subscription(handler)], clock=desk.clock)


async def approved(desk: Desk, ref: str) -> str:
    c = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    assert "published" in text(await desk.say("analyste.mons", f"!capsule approve {c}"))
    return c


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

    square, wide = [k for k in parsed.entries[0].links if k.rel == "enclosure"]
    assert square.href == f"{BASE}/capsules/53053/{out}-fr.png"
    assert wide.href == f"{BASE}/capsules/53053/{out}-fr-wide.png"  # websites, link previews
    for name, size in ((f"{out}-fr.png", (1080, 1080)), (f"{out}-fr-wide.png", (1200, 630))):
        status, kind, png = await fetch(f"{site}/capsules/53053/{name}")
        assert status == 200 and kind == "image/png"
        assert Image.open(io.BytesIO(png)).size == size
    for unpublished in (waiting, draft):  # a waiting or draft capsule's cards are nobody's
        assert (await fetch(f"{site}/capsules/53053/{unpublished}-fr.png"))[0] == 404
        assert (await fetch(f"{site}/capsules/53053/{unpublished}-fr-wide.png"))[0] == 404
    assert (await fetch(f"{site}/capsules/53084/{out}-fr.png"))[0] == 404  # another commune

    other = feedparser.parse((await fetch(f"{site}/capsules/53053/nl.atom"))[2])
    assert other.bozo is False and other.entries == []  # Mons writes in French
    assert (await fetch(f"{site}/capsules/99999/fr.atom"))[0] == 404


async def test_the_coordinators_get_one_mail_with_the_cards_and_the_poster(
    desk: Desk, relay: Relay
) -> None:
    capsules(desk)
    c = await approved(desk, await published(desk))
    dispatcher = mailer(desk, relay)
    await dispatcher.run_once()
    [mail] = relay.inbox.to(COORDINATOR)
    assert c in str(mail["Subject"]) and "Mons" in str(mail["Subject"])
    body = mail.get_body(("plain",))
    assert body is not None and "Fermez portes et fenêtres à clé" in body.get_content()
    assert "relayez-la telle quelle" in body.get_content()  # Mons: French
    files = {str(p.get_filename()): p.get_content() for p in mail.iter_attachments()}
    number = parse_capsule_ref(c)
    assert sorted(files) == [
        f"capsule-{number}-fr-poster.pdf",
        f"capsule-{number}-fr-wide.png",
        f"capsule-{number}-fr.png",
    ]  # a person wrote the alert: no cocoon letter
    for name, size in (("fr.png", (1080, 1080)), ("fr-wide.png", (1200, 630))):
        png = Image.open(io.BytesIO(files[f"capsule-{number}-{name}"]))
        assert png.format == "PNG" and png.size == size
    assert len(PdfReader(io.BytesIO(files[f"capsule-{number}-fr-poster.pdf"])).pages) == 1

    # the same event delivered again (a retry after a crash) mails nobody twice
    await Outbox(desk.db, "mail-test", desk.clock).enqueue([CapsulePublished(number, "53053")])
    await dispatcher.run_once()
    assert len(relay.inbox.to(COORDINATOR)) == 1


async def test_a_detected_alerts_capsule_mail_carries_the_cocoon_letter(
    desk: Desk, relay: Relay
) -> None:
    capsules(desk)
    ref = await published(desk)
    await proposed_by_detection(desk, ref)
    c = await approved(desk, ref)
    await mailer(desk, relay).run_once()
    [mail] = relay.inbox.to(COORDINATOR)
    files = {str(p.get_filename()): p.get_content() for p in mail.iter_attachments()}
    letter = PdfReader(io.BytesIO(files[f"capsule-{parse_capsule_ref(c)}-fr-letter.pdf"]))
    words = " ".join(letter.pages[0].extract_text().split())
    assert len(letter.pages) == 1 and "Aux habitants de votre rue" in words
    assert "les rues à moins de 250 m du quartier concerné, à Mons" in words


async def test_a_coordinator_who_unsubscribes_gets_no_further_capsule_mail(
    desk: Desk, relay: Relay, site: str
) -> None:
    capsules(desk)
    ref = await published(desk)
    await approved(desk, ref)
    await mailer(desk, relay, site).run_once()
    [mail] = relay.inbox.to(COORDINATOR)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(mail["List-Unsubscribe"]).strip("<>")
    assert link.startswith(f"{site}/mail/capsules/unsubscribe/")
    body = mail.get_body(("plain",))
    assert body is not None and f"Ne plus recevoir ces capsules : {link}" in body.get_content()

    # a bulletin's unsubscribe page does not take it, nor a changed one; a GET changes nothing
    token = link.rpartition("/")[2].partition("?")[0]
    assert (await fetch(f"{site}{UNSUBSCRIBE_PATH}/{token}", "POST"))[0] == 404
    assert (await fetch(f"{site}/mail/capsules/unsubscribe/{token[:-2]}xx", "POST"))[0] == 404
    member_token = SIGNER.link_token(Purpose.UNSUBSCRIBE, 1, COORDINATOR)
    forged = f"{site}/mail/capsules/unsubscribe/{member_token}"
    assert (await fetch(forged, "POST"))[0] == 404
    status, _, page = await fetch(link)
    assert status == 200 and "Ne plus recevoir les capsules" in page.decode()
    assert await SqlCapsules(desk.db).opted_out([COORDINATOR]) == set()

    # RFC 8058 one-click: the mail client POSTs to the header's link
    status, _, page = await fetch(link, "POST", "List-Unsubscribe=One-Click")
    assert status == 200 and "ne reçoit plus de capsules" in page.decode()
    await approved(desk, ref)
    await mailer(desk, relay, site).run_once()
    assert len(relay.inbox.to(COORDINATOR)) == 1  # the second capsule mailed nobody
