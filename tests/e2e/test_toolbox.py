"""The toolbox bridge end to end: ``prevnet up`` and ``prevnet bridge`` as processes, a real
Synapse, people at encrypted Matrix clients, and the Discourse double."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import aiohttp
import nio
import pytest

from tests.e2e.test_alerts import ALERT, Cast, notice
from tests.support.discourse.double import DiscourseDouble
from tests.support.discourse.forum import Post, Topic
from tests.support.synapse import free_port
from tests.support.up import SERVER, DemoTemplate, Running, start, start_bridge, terminate

T = TypeVar("T")
SECRET = "e2e-web-hook-secret"


async def eventually(probe: Callable[[], Awaitable[T | None]], within: float = 30.0) -> T:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = await probe()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"not within {within} s")


class Stack:
    def __init__(self, network: Running, double: DiscourseDouble, bridge_url: str) -> None:
        self.network = network
        self.double = double
        self.bridge_url = bridge_url

    async def bridge_health(self) -> dict[str, object]:
        async with aiohttp.ClientSession() as http, http.get(f"{self.bridge_url}/health") as r:
            return dict(await r.json())

    async def bridge_metrics(self) -> str:
        async with aiohttp.ClientSession() as http, http.get(f"{self.bridge_url}/metrics") as r:
            return await r.text()


@contextlib.asynccontextmanager
async def running_stack(
    tmp_path: Path, double: DiscourseDouble, extra_env: dict[str, str], template: DemoTemplate
) -> AsyncIterator[Stack]:
    """``prevnet up --demo`` and ``prevnet bridge`` on one data directory, with ``double``.

    The rate limit's minute is compressed to 5 s on both sides (same rule, shorter test): the
    bridge's catch-up of the demo's partners alone spends more than a minute's budget.
    """
    double.window = 5.0
    await double.start()
    port = free_port()
    env = {
        "PREVNET_DISCOURSE_URL": double.url,
        "PREVNET_DISCOURSE_API_KEY": double.api_key,
        "PREVNET_DISCOURSE_WEBHOOK_SECRET": SECRET,
        "PREVNET_DISCOURSE_WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "PREVNET_DISCOURSE_LISTEN_PORT": str(port),
        "PREVNET_DISCOURSE_WINDOW_SECONDS": "5",
        **extra_env,
    }
    data = await template.copy_to(tmp_path / "data")
    network = await start(data, free_port(), env)
    try:
        bridge = await start_bridge(data, env)
        try:
            yield Stack(network, double, f"http://127.0.0.1:{port}")
        finally:
            await terminate(bridge)
    finally:
        await terminate(network.process)
        await double.stop()
    assert double.violations == [], "\n".join(double.violations)


@pytest.fixture
async def stack(tmp_path: Path, demo_template: DemoTemplate) -> AsyncIterator[Stack]:
    async with running_stack(tmp_path, DiscourseDouble(), {}, demo_template) as running:
        yield running


@pytest.fixture
async def cast(stack: Stack, tmp_path: Path) -> AsyncIterator[Cast]:
    people = Cast(stack.network, tmp_path / "keys")
    try:
        yield people
    finally:
        await people.close()


async def test_chat_and_toolbox_speak_to_each_other(stack: Stack, cast: Cast) -> None:
    double = stack.double
    officer = await cast.person("inspecteur.mons")
    frameries = await cast.person("prevention.frameries")
    zone_mons = await officer.room(f"#zone-5324:{SERVER}")
    zone_boraine = await frameries.room(f"#zone-5327:{SERVER}")
    toolbox_room = await frameries.room(f"#toolbox:{SERVER}")

    # an alert typed in Matrix becomes a topic
    await officer.say(zone_mons, ALERT)
    draft = await officer.wait_for(notice(zone_mons, "Draft A-"))
    ref = draft.body.split()[1].rstrip(":")
    await officer.say(zone_mons, f"!alert publish {ref}")
    bulletin = await frameries.wait_for(notice(zone_boraine, "TLP:AMBER", ref))
    alert_id = int(ref.split("-")[1])

    async def topic() -> Topic | None:
        return double.forum.topic_by_external_id(f"prevnet-alert-{alert_id}")

    found = await eventually(topic)
    [first] = double.forum.posts_in(found.id)
    assert "Wave of burglaries in Hyon and Nimy" in first.raw and ref in first.raw

    # a thread reply becomes a post, attributed; and back: a forum reply reaches the threads
    await frameries.reply_in_thread(
        zone_boraine, bulletin.event_id, "Même chose à Jemappes hier soir, porte arrière forcée."
    )

    async def carried() -> Post | None:
        posts = double.forum.posts_in(found.id)
        return posts[1] if len(posts) > 1 else None

    post = await eventually(carried)
    assert "Jemappes" in post.raw and "Frameries" in post.raw
    double.add_user("marie", "Marie Lambert", "marie@mons.be")
    double.reply_as("marie", found.id, "Merci, nous prévenons les comités de quartier ce soir.")

    def in_thread(room: str, root: str, *words: str) -> Callable[[str, nio.Event], bool]:
        base = notice(room, *words)

        def match(room_id: str, event: nio.Event) -> bool:
            relation = event.source.get("content", {}).get("m.relates_to", {})
            return base(room_id, event) and relation.get("event_id") == root

        return match

    echoed = await frameries.wait_for(
        in_thread(zone_boraine, bulletin.event_id, "Marie Lambert", "comités de quartier")
    )
    assert double.url in echoed.body
    officer_bulletin = await officer.wait_for(notice(zone_mons, "TLP:AMBER", ref, "Résumé"))
    await officer.wait_for(in_thread(zone_mons, officer_bulletin.event_id, "Marie Lambert"))
    # no echo: the bridge's own post did not come back into the chat
    await frameries.client.sync(timeout=1000)
    assert not [
        e
        for _, e in frameries.received
        if isinstance(e, nio.RoomMessageNotice) and "Jemappes" in e.body
    ]

    # new toolbox material is announced in #toolbox
    toolbox = next(c for c in double.forum.categories.values() if c.name == "Toolbox")
    double.add_user("ibz", "Cellule prévention IBZ", "prevention@ibz.be")
    kit = double.publish_as(
        "ibz",
        toolbox.id,
        "Campagne hiver : affiches contre les cambriolages",
        "Affiches et messages pour les réseaux sociaux, en français, néerlandais et allemand.",
    )
    news = await frameries.wait_for(notice(toolbox_room, "New in the toolbox", kit.title))
    assert "Affiches et messages" in news.body and f"/t/{kit.slug}/{kit.id}" in news.body

    # RED never leaves Matrix
    red = ALERT.replace("tlp: amber", "tlp: red").replace(
        "Wave of burglaries in Hyon and Nimy", "Suspect van plate 1-XYZ-987 seen in Hyon"
    )
    await officer.say(zone_mons, red)
    red_draft = await officer.wait_for(
        notice(zone_mons, "Draft A-", besides=frozenset({draft.event_id}))
    )
    red_ref = red_draft.body.split()[1].rstrip(":")
    await officer.say(zone_mons, f"!alert publish {red_ref}")
    # a RED bulletin goes to the alert's own room (made with its recipients), in English
    await officer.wait_for(
        lambda r, e: (
            isinstance(e, nio.RoomMessageNotice)
            and all(w in e.body for w in ("TLP:RED", red_ref, "Summary"))
        )
    )

    async def bridge_idle() -> dict[str, object] | None:
        health = await stack.bridge_health()
        outbox = health["outbox"]
        assert isinstance(outbox, dict)
        return health if outbox["pending"] == 0 else None

    health = await eventually(bridge_idle)
    assert health["status"] == "ok" and health["discourse"] == "ok"
    assert double.forum.topic_by_external_id(f"prevnet-alert-{red_ref.split('-')[1]}") is None
    assert not any(b"1-XYZ-987" in r.body for r in double.requests)
    assert len(double.forum.topics) == 2  # the AMBER alert and the toolbox kit
    metrics = await stack.bridge_metrics()
    assert 'prevnet_discourse_requests_total{call="create_topic"} 1.0' in metrics
    assert "prevnet_outbox_depth 0.0" in metrics


@pytest.fixture
async def flaky_stack(tmp_path: Path, demo_template: DemoTemplate) -> AsyncIterator[Stack]:
    """The same stack with 30% of Discourse calls failing: 5xx, or late answers after the work."""
    double = DiscourseDouble(seed=11)
    double.timeout_delay = 2.5
    quick = {"PREVNET_DISCOURSE_TIMEOUT_SECONDS": "1.5", "PREVNET_RETRY_SECONDS": "0.3"}
    async with running_stack(tmp_path, double, quick, demo_template) as running:
        double.fail_ratio = 0.3  # from now on: the bridge's set-up went through
        yield running


async def test_with_30_percent_of_calls_failing_each_alert_is_synced_once(
    flaky_stack: Stack, tmp_path: Path
) -> None:
    double = flaky_stack.double
    people = Cast(flaky_stack.network, tmp_path / "keys")
    try:
        officer = await people.person("inspecteur.mons")
        zone_mons = await officer.room(f"#zone-5324:{SERVER}")
        refs = []
        seen: set[str] = set()
        for n in range(5):
            text = ALERT.replace("Wave of burglaries", f"Wave {n} of burglaries")
            await officer.say(zone_mons, text)
            draft = await officer.wait_for(notice(zone_mons, "Draft A-", besides=frozenset(seen)))
            seen.add(draft.event_id)
            ref = draft.body.split()[1].rstrip(":")
            await officer.say(zone_mons, f"!alert publish {ref}")
            refs.append(ref)

        async def all_synced() -> bool:
            health = await flaky_stack.bridge_health()
            outbox = health["outbox"]
            assert isinstance(outbox, dict)
            wanted = {f"prevnet-alert-{r.split('-')[1]}" for r in refs}
            have = {t.external_id for t in double.forum.topics.values()}
            return wanted <= have and outbox["pending"] == 0

        await eventually(all_synced, within=120)
    finally:
        await people.close()
    externals = [t.external_id for t in double.forum.topics.values()]
    assert len(externals) == len(set(externals)) == 5
    assert [r for r in double.requests if r.status >= 500], "no failure was injected"
