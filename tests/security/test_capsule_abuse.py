"""An adversarial member against citizen capsules, on SQLite and PostgreSQL: drafting from
someone else's alert, approving what they may not, slipping an edit past approval, and getting
a capsule of an alert labelled AMBER to residents (feed, zone room, coordinators' mail)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import feedparser
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update

from bots.capsule_post import CapsulePosts
from phenomena.alert import parse_ref
from phenomena.capsules.files import CapsuleFiles
from phenomena.capsules.service import CapsuleRecord, CapsuleState, parse_capsule_ref
from phenomena.events import CapsulePublished
from phenomena.partners import Organisation
from phenomena.storage.capsules import SqlCapsules
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.outbox import Outbox
from phenomena.storage.schema import AlertRow
from phenomena.territory import TerritoryRegistry
from prevnet.capsule_feed import add_capsule_feed
from prevnet.capsule_mail import CapsuleMailer
from prevnet.mail.sender import SmtpSender
from tests.capsules.test_capsule_commands import capsule_ref, capsules, published, text
from tests.mail.smtp_relay import Relay, relay
from tests.support.alert_desk import Desk

__all__ = ["relay"]


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


async def feed_ids(desk: Desk) -> list[str]:
    app = web.Application()
    add_capsule_feed(app, SqlCapsules(desk.db), desk.territories, "https://prevnet.example.be")
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        response = await client.get("/capsules/53053/fr.atom")
        assert response.status == 200
        parsed = feedparser.parse(await response.read())
    assert parsed.bozo is False
    return [str(e.id).rpartition("#")[2] for e in parsed.entries]


async def queued(desk: Desk) -> list[int]:
    events = [e for _, e in await Outbox(desk.db, "check").events()]
    return [e.capsule_id for e in events if isinstance(e, CapsulePublished)]


@pytest.mark.parametrize(
    ("who", "why"),
    [
        ("analyste.boraine", "only zp-mons-quevy"),  # an author of another police zone
        ("prevention.frameries", "needs the author role"),  # a plain member
        ("federal", "needs the author role"),
    ],
)
async def test_another_organisation_cannot_draft_from_someones_alert(
    desk: Desk, who: str, why: str
) -> None:
    capsules(desk)
    ref = await published(desk)
    reply = await desk.say(who, f"!capsule {ref}")
    assert why in text(reply)
    assert await SqlCapsules(desk.db).get(1) is None


async def test_outsiders_cannot_see_approve_or_edit_a_capsule(desk: Desk) -> None:
    capsules(desk)
    ref = await published(desk)
    c = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    for command in (f"show {c}", f"approve {c}", f"edit {c} title: Piraté"):
        reply = await desk.say("analyste.boraine", f"!capsule {command}")
        assert text(reply) == f"there is no capsule {c} you can see"  # as for none at all
    record = await SqlCapsules(desk.db).get(parse_capsule_ref(c))
    assert record is not None and record.state is CapsuleState.DRAFT
    assert record.capsules[0].title != "Piraté" and record.approver is None


async def test_an_edit_after_approval_does_not_go_out_unapproved(desk: Desk) -> None:
    capsules(desk, per_week=1)
    ref = await published(desk)
    first = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    await desk.say("analyste.mons", f"!capsule approve {first}")
    later = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    assert "waits" in text(await desk.say("analyste.mons", f"!capsule approve {later}"))
    await desk.say("prevention.mons", f"!capsule edit {later} short: Texte jamais relu")
    desk.clock.now += timedelta(days=7)
    assert await SqlCapsules(desk.db).publish_due(desk.clock(), 1, "Europe/Brussels") == []
    assert await queued(desk) == [parse_capsule_ref(first)]
    assert await feed_ids(desk) == [first]
    # approving it twice at once: the second finds no draft, nothing is queued twice
    await desk.say("analyste.mons", f"!capsule approve {later}")
    again = await desk.say("analyste.mons", f"!capsule approve {later}")
    assert "published already" in text(again)
    assert await queued(desk) == [parse_capsule_ref(first), parse_capsule_ref(later)]


async def test_a_capsule_of_an_alert_made_amber_reaches_no_resident(
    desk: Desk, relay: Relay
) -> None:
    capsules(desk)
    ref = await published(desk)
    c = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    await desk.say("analyste.mons", f"!capsule approve {c}")
    assert await feed_ids(desk) == [c]
    narrowed = await desk.say("inspecteur.mons", f"!alert update {ref} tlp: amber")
    assert "cannot be made TLP:AMBER afterwards" in text(narrowed)  # prevnet refuses it ...
    async with desk.db.sessions() as session, session.begin():  # ... but were it made so
        await session.execute(
            update(AlertRow).where(AlertRow.id == parse_ref(ref)).values(tlp="amber")
        )
    assert await feed_ids(desk) == []  # the feed reads the alert's label of now

    store = SqlCapsules(desk.db)
    posted: list[dict[str, Any]] = []

    async def post(room_id: str, content: dict[str, Any], **kwargs: Any) -> str:
        posted.append(content)
        return "$x"

    async def room_id_of(key: str) -> str | None:
        return f"!{key}"

    async def organisations() -> Iterable[Organisation]:
        return (await desk.desk.registry())[1].values()

    async def nothing_drawn(record: CapsuleRecord) -> CapsuleFiles:
        raise AssertionError(f"{record.ref}'s files were drawn for residents")

    event = CapsulePublished(parse_capsule_ref(c), "53053")
    posts = CapsulePosts(
        None,  # no client: nothing may be uploaded
        post,
        room_id_of,
        store.get,
        desk.territories,
        nothing_drawn,
    )
    await posts.handle(event)
    mailer = CapsuleMailer(
        SmtpSender(relay.settings()),
        SqlEmailDeliveries(desk.db),
        store.get,
        organisations,
        desk.territories,
        nothing_drawn,
        store.opted_out,
        lambda capsule_id, address, language: "https://prevnet.example.be/unsubscribe",
    )
    await mailer.handle(event)
    assert posted == [] and relay.inbox.received == []
