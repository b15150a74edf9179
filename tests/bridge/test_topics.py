"""Alerts become toolbox topics: placement, content, edits, closing, and nothing RED."""

from __future__ import annotations

from dataclasses import replace

import pytest

from phenomena.alert import Alert
from phenomena.alert_text import parse_alert_text
from phenomena.events import ThreadReplied
from phenomena.partners import Member, Role
from phenomena.partners_file import parse_partner_file
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy
from phenomena.services.partners import import_partners
from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from tests.bridge.conftest import NOW, Bridge, make_bridge
from tests.support.discourse.double import DiscourseDouble
from tests.unit.test_alert_text import EXAMPLE
from tests.unit.test_partners_file import GOOD

POLICE = "@alice:prevnet.example"
POLICY = ModerationPolicy()


async def second_moderator(bridge: Bridge) -> str:
    """A moderator of the police zone besides the author: widening an alert needs two people."""
    carol = Member("@carol:prevnet.example", "Carol", "zp-mons-quevy", frozenset({Role.MODERATOR}))
    async with bridge.uow() as uow:
        await uow.members.add(carol)
        await uow.commit()
    return carol.matrix_id


async def publish(bridge: Bridge, territories: TerritoryRegistry, text: str = EXAMPLE) -> Alert:
    content = parse_alert_text(text, territories)
    alert, _ = await use.create_alert(bridge.uow(), content, POLICE, territories, POLICY, NOW)
    return alert


async def test_an_amber_alert_becomes_a_topic_only_its_partners_can_read(
    bridge: Bridge, territories: TerritoryRegistry
) -> None:
    alert = await publish(bridge, territories)
    await bridge.drain()
    forum = bridge.double.forum
    [topic] = forum.topics.values()
    assert topic.external_id == f"prevnet-alert-{alert.id}"
    assert "Mons" in topic.title and "2026-11-14" in topic.title
    first = forum.posts_in(topic.id)[0]
    for field in (alert.content.summary, alert.content.modus, alert.content.advice, alert.ref):
        assert field is not None and field in first.raw
    assert "TLP:AMBER" in first.raw
    assert {"residential-burglary", "tlp-amber", "mons", "quevy"} <= set(topic.tags)
    category = forum.categories[topic.category_id]
    assert category.name.startswith("AMBER")
    assert "everyone" not in category.permissions
    # AMBER is routed to the zone rooms: the organisations there, and only those, may read it
    assert set(category.permissions) == {"zp-mons-quevy", "pcs-mons"}
    assert set(category.permissions) <= set(forum.groups)
    parent = forum.categories[category.parent_id or 0]
    assert parent.name == "Province du Hainaut" and parent.permissions == {"everyone": 1}
    creates = [r for r in bridge.double.requests_to("POST", "/posts.json") if r.status == 200]
    assert len(creates) == 1


async def test_green_goes_to_the_province_category_for_everyone(
    bridge: Bridge, territories: TerritoryRegistry
) -> None:
    await publish(bridge, territories, EXAMPLE.replace("tlp: amber", "tlp: green"))
    await bridge.drain()
    [topic] = bridge.double.forum.topics.values()
    category = bridge.double.forum.categories[topic.category_id]
    assert category.name == "Province du Hainaut" and category.permissions == {"everyone": 1}


@pytest.mark.parametrize("label", ["red", "amber+strict"])
async def test_red_and_amber_strict_never_reach_discourse(
    bridge: Bridge, territories: TerritoryRegistry, label: str
) -> None:
    alert = await publish(bridge, territories, EXAMPLE.replace("tlp: amber", f"tlp: {label}"))
    await use.update_alert(
        bridge.uow(),
        alert.id,
        replace(alert.content, summary="Still going on, same method."),
        POLICE,
        territories,
        NOW,
    )
    async with bridge.uow(f"thread:$red-{label}") as unit:  # a reply in its bulletin's thread
        unit.record(
            ThreadReplied(
                alert.id,
                "zone:5324",
                f"$red-{label}",
                POLICE,
                "Alice Dupont",
                "ZP Mons/Quévy",
                "Hyon again last night, same screwdriver marks.",
            )
        )
        await unit.commit()
    await use.close_alert(bridge.uow(), alert.id, POLICE, "over", NOW)
    await bridge.drain()
    assert bridge.double.forum.topics == {}
    sent = b"".join(r.body for r in bridge.double.requests)
    assert b"burglaries" not in sent and b"Hyon" not in sent and b"screwdriver" not in sent
    assert not bridge.double.requests_to("POST", "/posts.json")


async def test_an_update_edits_the_first_post_with_a_reason_and_closing_closes(
    bridge: Bridge, territories: TerritoryRegistry
) -> None:
    alert = await publish(bridge, territories)
    await bridge.drain()
    changed = replace(alert.content, summary="Now also in Ghlin: rear doors forced at dusk.")
    await use.update_alert(bridge.uow(), alert.id, changed, POLICE, territories, NOW)
    await bridge.drain()
    forum = bridge.double.forum
    [topic] = forum.topics.values()
    first = forum.posts_in(topic.id)[0]
    assert "Ghlin" in first.raw and first.version == 2
    assert first.edit_reason is not None and alert.ref in first.edit_reason
    assert not topic.closed
    await use.close_alert(bridge.uow(), alert.id, POLICE, "arrests made", NOW)
    await bridge.drain()
    assert topic.closed
    assert forum.posts_in(topic.id)[0].raw.startswith("**[")


async def test_lowering_amber_to_green_opens_the_topic_and_red_lowered_gets_one_then(
    bridge: Bridge, territories: TerritoryRegistry
) -> None:
    alert = await publish(bridge, territories)
    await bridge.drain()
    forum = bridge.double.forum
    [topic] = forum.topics.values()
    second = await second_moderator(bridge)
    await use.update_alert(
        bridge.uow(), alert.id, replace(alert.content, tlp=Tlp.GREEN), POLICE, territories, NOW
    )
    await use.approve_alert(bridge.uow(), alert.id, second, territories, NOW)  # four eyes
    await bridge.drain()
    assert forum.categories[topic.category_id].permissions == {"everyone": 1}
    red = await publish(bridge, territories, EXAMPLE.replace("tlp: amber", "tlp: red"))
    await bridge.drain()
    assert len(forum.topics) == 1
    await use.update_alert(
        bridge.uow(), red.id, replace(red.content, tlp=Tlp.AMBER), POLICE, territories, NOW
    )
    await use.approve_alert(bridge.uow(), red.id, second, territories, NOW)
    await bridge.drain()
    assert len(forum.topics) == 2
    assert forum.topic_by_external_id(f"prevnet-alert-{red.id}") is not None


async def test_a_create_whose_answer_timed_out_is_found_not_repeated(
    bridge: Bridge, territories: TerritoryRegistry
) -> None:
    bridge.double.timeout_delay = 8.0  # longer than the client's 5 s timeout
    bridge.double.scripted.append(("POST", "/posts.json", "timeout"))
    await publish(bridge, territories)
    await bridge.drain()
    assert len(bridge.double.forum.topics) == 1
    assert bridge.double.requests_to("GET", "/t/external_id/")  # it looked before creating


async def test_discourse_down_delays_the_sync_and_loses_nothing(
    bridge: Bridge, territories: TerritoryRegistry
) -> None:
    bridge.double.down = True
    await publish(bridge, territories)
    for _ in range(5):
        await bridge.dispatcher.run_once()
    assert bridge.double.forum.topics == {}
    assert (await bridge.outbox.stats()).failing >= 1
    bridge.double.down = False
    await bridge.drain()
    assert len(bridge.double.forum.topics) == 1


async def test_one_configured_category_instead_of_one_per_province(
    db: Database, discourse: DiscourseDouble, territories: TerritoryRegistry
) -> None:
    bridge = await make_bridge(db, discourse, territories, alerts_category="Alertes prevnet")
    await import_partners(bridge.uow(), parse_partner_file(GOOD, territories), "t", NOW)
    await publish(bridge, territories, EXAMPLE.replace("tlp: amber", "tlp: green"))
    await publish(bridge, territories)
    await bridge.drain()
    forum = discourse.forum
    green, amber = (forum.categories[t.category_id] for t in forum.topics.values())
    assert green.name == "Alertes prevnet" and green.permissions == {"everyone": 1}
    assert amber.parent_id == green.id and "everyone" not in amber.permissions
    assert not [c for c in forum.categories.values() if c.name.startswith("Province")]
