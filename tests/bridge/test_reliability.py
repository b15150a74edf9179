"""With 30% of Discourse calls failing (5xx, or timeouts after the work is done), every
shareable alert is synced exactly once and RED still never leaves Matrix."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from bridge.limiter import RateLimiter
from phenomena.alert import AlertStatus
from phenomena.alert_text import parse_alert_text
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy
from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from tests.bridge.conftest import NOW, Bridge
from tests.bridge.test_topics import POLICE
from tests.unit.test_alert_text import EXAMPLE

LABELS = ["amber", "green", "red", "clear", "amber+strict"]
NO_CLEAR_MODERATION = ModerationPolicy(moderate_clear=False)


async def test_thirty_percent_failures_sync_every_alert_exactly_once(
    bridge: Bridge, db: Database, territories: TerritoryRegistry
) -> None:
    double = bridge.double
    # The minute of Discourse's 60-request limit compressed to 6 s on both sides: the limit is
    # tested on its own; here the waiting for it would be all of the test's time.
    double.window = 6.0
    bridge.toolbox.limiter = RateLimiter(60, 6.0)
    double.fail_ratio = 0.3
    double.timeout_delay = 1.2
    bridge.toolbox.api.timeout = 0.8  # the client gives up before the double answers
    alerts = []
    for n in range(20):
        label = LABELS[n % len(LABELS)]
        text = EXAMPLE.replace("tlp: amber", f"tlp: {label}").replace(
            "Wave of burglaries", f"Wave number {n} of burglaries"
        )
        content = parse_alert_text(text, territories)
        alert, _ = await use.create_alert(
            bridge.uow(), content, POLICE, territories, NO_CLEAR_MODERATION, NOW
        )
        alerts.append(alert)
    for alert in alerts[::2]:
        changed = replace(alert.content, advice=f"Update for {alert.ref}: check the back gardens.")
        await use.update_alert(bridge.uow(), alert.id, changed, POLICE, territories, NOW)
    await bridge.drain(within=240)
    double.fail_ratio = 0.0
    assert all(a.status is AlertStatus.PUBLISHED for a in alerts)
    shareable = {a.id for a in alerts if a.content.tlp.may_leave_matrix}
    forum = double.forum
    by_external = Counter(t.external_id for t in forum.topics.values())
    assert by_external == Counter(f"prevnet-alert-{i}" for i in shareable)
    for alert in alerts[::2]:
        topic = forum.topic_by_external_id(f"prevnet-alert-{alert.id}")
        if alert.id in shareable:
            assert topic is not None
            assert f"Update for {alert.ref}" in forum.posts_in(topic.id)[0].raw
    failures = [r for r in double.requests if r.status >= 500]
    assert failures, "the double injected no failure: the test proved nothing"
    sent = b"".join(r.body for r in double.requests)
    for alert in alerts:
        if not alert.content.tlp.may_leave_matrix:
            assert f"Wave number {alerts.index(alert)} of".encode() not in sent
