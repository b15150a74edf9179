"""Replies both ways, signed web hooks, toolbox announcements, groups and the rate limit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bridge.webhook import WEBHOOK_PATH, WebhookReceiver
from phenomena.alert_text import parse_alert_text
from phenomena.events import MemberChanged, ThreadReplied, ToolboxReplied, ToolboxTopicCreated
from phenomena.partners_file import parse_partner_file
from phenomena.services import alerts as alert_use
from phenomena.services import partners as partner_use
from phenomena.services.alerts import ModerationPolicy
from phenomena.services.partners import import_partners
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.bridge_service import ToolboxCategories, members_without_group, register_web_hook
from prevnet.mail.replies import EmailReply
from prevnet.mail.reply_wiring import ReplyRecorder
from prevnet.settings import DiscourseSettings
from tests.bridge.conftest import NOW, Bridge, make_bridge
from tests.bridge.test_topics import publish
from tests.support.discourse.double import DiscourseDouble
from tests.support.discourse.post_serializers import web_hook_post
from tests.support.synapse import free_port
from tests.unit.test_alert_text import EXAMPLE
from tests.unit.test_partners_file import GOOD

SECRET = "a-long-shared-secret"


async def bots_events(db: Database) -> list[object]:
    return [e for _, e in await Outbox(db, "t", consumer="bots").events()]


@pytest.fixture
async def receiver(bridge: Bridge) -> AsyncIterator[str]:
    """The bridge's web hook receiver on loopback, registered with the double as at start-up."""
    port = free_port()
    categories = ToolboxCategories(bridge.toolbox, "Toolbox")
    await categories.ensure()
    settings = DiscourseSettings(
        url=bridge.double.url,
        api_key=bridge.double.api_key,
        webhook_secret=SECRET,
        webhook_url=f"http://127.0.0.1:{port}",
    )
    await register_web_hook(bridge.toolbox, settings)
    await register_web_hook(bridge.toolbox, settings)  # idempotent
    assert len(bridge.double.forum.web_hooks) == 1
    hook = WebhookReceiver(
        SECRET,
        bridge.uow,
        bridge.store,
        api_username=bridge.double.api_username,
        base_url=bridge.double.url,
        toolbox_categories=categories.names,
    )
    app = web.Application()
    app.add_routes(hook.routes())
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    await runner.cleanup()


async def test_forged_unsigned_and_malformed_deliveries_are_refused(
    bridge: Bridge, receiver: str
) -> None:
    double = bridge.double
    body = json.dumps({"post": {"id": 1}}).encode()
    assert await double.deliver(receiver, None, "1", "post_created", body) == 401
    forged = "sha256=" + "0" * 64
    assert await double.deliver(receiver, None, "2", "post_created", body, signature=forged) == 401
    wrong_key = await double.deliver(receiver, "another-secret-entirely", "3", "post_created", body)
    assert wrong_key == 401
    assert await double.deliver(receiver, SECRET, "4", "post_created", b"{not json") == 400
    assert await double.deliver(receiver, SECRET, "5", "post_created", b"[1, 2]") == 400
    assert await double.deliver(receiver, SECRET, "", "post_created", body) == 400
    assert await double.deliver(receiver, SECRET, "6", "post_created", body) == 400  # no topic
    ping = json.dumps({"ping": "OK"}).encode()
    assert await double.deliver(receiver, SECRET, "7", "ping", ping) == 200
    carried = [
        e
        for e in await bots_events(bridge.db)
        if isinstance(e, ToolboxReplied | ToolboxTopicCreated)
    ]
    assert carried == []  # nothing refused reached the chat


async def test_a_forum_reply_reaches_matrix_once_and_own_posts_do_not_echo(
    bridge: Bridge, receiver: str, territories: TerritoryRegistry
) -> None:
    double = bridge.double
    alert = await publish(bridge, territories)
    await bridge.drain()
    await double.settle()  # the bridge's own topic fired post_created: not echoed
    assert not [e for e in await bots_events(bridge.db) if isinstance(e, ToolboxReplied)]
    double.add_user("marie", "Marie Lambert", "marie@mons.be")
    [topic] = double.forum.topics.values()
    post = double.reply_as("marie", topic.id, "Same thing in Ghlin last night, two houses.")
    await double.settle()
    replies = [e for e in await bots_events(bridge.db) if isinstance(e, ToolboxReplied)]
    assert len(replies) == 1
    assert replies[0].alert_id == alert.id and replies[0].post_id == post.id
    assert "Ghlin" in replies[0].text and "Marie Lambert" in replies[0].author
    delivery = double.deliveries[-1]
    body = json.dumps({"post": web_hook_post(double.forum, post)})
    again = await double.deliver(receiver, SECRET, delivery.event_id, "post_created", body.encode())
    other_id = await double.deliver(receiver, SECRET, "999", "post_created", body.encode())
    assert again == 200 and other_id == 200
    replies = [e for e in await bots_events(bridge.db) if isinstance(e, ToolboxReplied)]
    assert len(replies) == 1  # the same post, redelivered or under a new id, counts once


async def test_new_toolbox_material_is_announced(bridge: Bridge, receiver: str) -> None:
    double = bridge.double
    double.add_user("kit", "Cellule prévention", "kit@ibz.be")
    toolbox = next(c for c in double.forum.categories.values() if c.name == "Toolbox")
    topic = double.publish_as(
        "kit",
        toolbox.id,
        "Starter kit: neighbourhood information networks",
        "Templates, a charter and a checklist to start a neighbourhood information network.",
    )
    other = next(c for c in double.forum.categories.values() if c.name == "Uncategorized")
    double.publish_as(
        "kit",
        other.id,
        "Coffee machine on the third floor",
        "The coffee machine on the third floor is broken again, sorry.",
    )
    await double.settle()
    [news] = [e for e in await bots_events(bridge.db) if isinstance(e, ToolboxTopicCreated)]
    assert news.title == topic.title and news.category == "Toolbox"
    assert "checklist" in news.excerpt
    assert news.url == f"{double.url}/t/{topic.slug}/{topic.id}"


async def test_a_thread_reply_becomes_one_attributed_post_even_when_its_answer_is_lost(
    bridge: Bridge, territories: TerritoryRegistry
) -> None:
    alert = await publish(bridge, territories)
    await bridge.drain()
    bridge.double.timeout_delay = 8.0
    bridge.double.scripted.append(("POST", "/posts.json", "timeout"))
    async with bridge.uow("thread:$ev1") as unit:
        unit.record(
            ThreadReplied(
                alert.id,
                "zone:5324",
                "$ev1",
                "@bob:prevnet.example",
                "Bob Peeters",
                "PSSP Mons",
                "We saw it in Nimy too, rue des Sarts.",
            )
        )
        await unit.commit()
    await bridge.drain()
    [topic] = bridge.double.forum.topics.values()
    posts = bridge.double.forum.posts_in(topic.id)
    assert len(posts) == 2
    assert "Bob Peeters" in posts[1].raw and "PSSP Mons" in posts[1].raw
    assert "rue des Sarts" in posts[1].raw


async def test_an_emailed_reply_becomes_one_post_that_says_it_came_by_e_mail(
    bridge: Bridge, territories: TerritoryRegistry
) -> None:
    alert = await publish(bridge, territories, EXAMPLE.replace("tlp: amber", "tlp: green"))
    await bridge.drain()
    replies = ReplyRecorder(bridge.uow, bridge.uow)
    reply = EmailReply(alert.id, "@bob:prevnet.example", "Nimy too, rue des Sarts.", "<r1@x.be>")
    await replies.record(reply)
    await replies.record(reply)  # delivered twice by the member's server
    await bridge.drain()
    [topic] = bridge.double.forum.topics.values()
    posts = bridge.double.forum.posts_in(topic.id)
    assert len(posts) == 2
    assert "**Bob Peeters** (PSSP Mons), by e-mail:" in posts[1].raw
    assert "rue des Sarts" in posts[1].raw


async def test_members_follow_their_organisation_into_discourse_groups(
    db: Database, discourse: DiscourseDouble, territories: TerritoryRegistry
) -> None:
    discourse.add_user("alice", "Alice Dupont", "Alice@Example.org")
    discourse.add_user("bob", "Bob Peeters", "bob@x.be", external_id="@bob:prevnet.example")
    bridge = await make_bridge(db, discourse, territories)
    await import_partners(bridge.uow(), parse_partner_file(GOOD, territories), "t", NOW)
    await bridge.drain()
    groups = discourse.forum.groups
    assert groups["zp-mons-quevy"].members == {"alice"}  # found by e-mail
    assert groups["pcs-mons"].members == {"bob"}  # found by external id
    assert {"spf-interieur", "prov-hainaut"} <= set(groups)
    await partner_use.remove_member(bridge.uow(), "@alice:prevnet.example", "t", "left", NOW)
    await bridge.drain()
    assert groups["zp-mons-quevy"].members == set()
    await partner_use.reinstate_member(bridge.uow(), "@alice:prevnet.example", "t", NOW)
    await bridge.drain()
    assert groups["zp-mons-quevy"].members == {"alice"}


async def test_the_client_keeps_under_the_limit_and_honours_retry_after(
    db: Database, discourse: DiscourseDouble, territories: TerritoryRegistry
) -> None:
    """Minute compressed to 1 s on both sides: the rule is the same, the test is short."""
    discourse.admin_limit, discourse.window = 10, 1.0
    polite = await make_bridge(db, discourse, territories, limit=10, window=1.0)
    await import_partners(polite.uow(), parse_partner_file(GOOD, territories), "t", NOW)
    for _ in range(12):
        await publish(polite, territories)
    await polite.drain()
    assert discourse.throttled == 0
    assert len(discourse.forum.topics) == 12
    # a second client on the same key, which the first one's limiter knows nothing of; the
    # forum's window widens to 5 s so that even a slow machine sends ten calls within it
    discourse.window = 5.0
    greedy = await make_bridge(db, discourse, territories, limit=1000, window=1.0)
    for _ in range(12):
        await publish(greedy, territories)
    await greedy.drain()
    assert discourse.throttled > 0
    assert greedy.toolbox.throttled > 0  # told by 429, waited its Retry-After
    assert len(discourse.forum.topics) == 24
    assert len({t.external_id for t in discourse.forum.topics.values()}) == 24


async def test_a_bridge_started_on_a_running_network_catches_up(
    db: Database, discourse: DiscourseDouble, territories: TerritoryRegistry
) -> None:
    """Partners and open alerts that existed before the bridge's first start are synced."""

    discourse.add_user("alice", "Alice Dupont", "alice@example.org")

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(db.sessions)

    await import_partners(uow(), parse_partner_file(GOOD, territories), "t", NOW)
    open_alert, _ = await alert_use.create_alert(
        uow(),
        parse_alert_text(EXAMPLE, territories),
        "@alice:prevnet.example",
        territories,
        ModerationPolicy(),
        NOW,
    )
    closed, _ = await alert_use.create_alert(
        uow(),
        parse_alert_text(EXAMPLE.replace("tlp: amber", "tlp: green"), territories),
        "@alice:prevnet.example",
        territories,
        ModerationPolicy(),
        NOW,
    )
    await alert_use.close_alert(uow(), closed.id, "@alice:prevnet.example", "over", NOW)
    bridge = await make_bridge(db, discourse, territories)
    await bridge.drain()
    forum = discourse.forum
    assert [t.external_id for t in forum.topics.values()] == [f"prevnet-alert-{open_alert.id}"]
    assert forum.groups["zp-mons-quevy"].members == {"alice"}
    assert {"pcs-mons", "spf-interieur", "prov-hainaut"} <= set(forum.groups)
    again = await make_bridge(db, discourse, territories)  # a restart queues nothing more
    assert (await again.outbox.stats()).pending == 0


async def test_a_member_without_a_toolbox_account_is_added_once_they_have_one(
    bridge: Bridge,
) -> None:
    """The fixture's members had no Discourse account when they joined; Bob logs in later."""
    await bridge.drain()
    groups = bridge.double.forum.groups
    assert groups["pcs-mons"].members == set()
    bridge.double.add_user("bob", "Bob Peeters", "bob@x.be", external_id="@bob:prevnet.example")
    queued = await bridge.outbox.enqueue(await members_without_group(bridge.db, bridge.store))
    assert queued == 2  # Alice and Bob are still without a group
    await bridge.drain()
    assert groups["pcs-mons"].members == {"bob"}
    remaining = await members_without_group(bridge.db, bridge.store)
    assert remaining == [MemberChanged("@alice:prevnet.example", ("toolbox",))]


async def test_a_toolbox_sub_category_made_later_is_recognised(bridge: Bridge) -> None:
    categories = ToolboxCategories(bridge.toolbox, "Toolbox", refresh_seconds=0)
    await categories.ensure()
    toolbox = next(c for c in bridge.double.forum.categories.values() if c.name == "Toolbox")
    kits = bridge.double.forum.add_category("Starter kits", parent_id=toolbox.id)
    assert (await categories.names())[kits.id] == "Toolbox › Starter kits"
