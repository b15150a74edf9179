"""Bridge sync benchmark: a backlog of alerts synced to the Discourse double under its limit.

Publishes N alerts (500 by default) across many zones while the bridge is stopped, then starts
it and measures until every shareable alert is a topic. Prints:

- requests per alert against the minimum the spec allows (one ``POST /posts.json`` per alert:
  a topic with its category, tags and external_id in one call); target at most 1.1x;
- the time taken against the rate limit's floor for that minimum (the first 60 requests at
  once, then 60 per window), measured in the same run; and how many 429s the double gave.

The double enforces Discourse's default admin-key limit, 60 requests per window. The window is
a minute in Discourse; by default the benchmark compresses it to 2 s on both sides (the limiter
and the double apply the same rule at any scale, so the ratios hold); ``--window 60`` runs the
real minute (about nine minutes for 500 alerts).

    python -m benchmarks.bridge_sync
    python -m benchmarks.bridge_sync --alerts 200 --window 60 [--database postgres]
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from benchmarks.common import add_database_option, database, parser, police_zone, ratio
from phenomena.alert import AlertContent
from phenomena.partners import (
    Member,
    Role,
)
from phenomena.partners_file import PartnerDocument
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy
from phenomena.services.partners import import_partners
from phenomena.storage.database import Database
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from prevnet.reference import load_territories
from prevnet.settings import Settings
from tests.bridge.conftest import make_bridge
from tests.support.discourse.double import DiscourseDouble

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
AUTHOR = "@analyst:bench.prevnet"


async def main(alerts: int, window: float, database_choice: str) -> None:
    territories = load_territories(Settings())
    zones = sorted(territories.zones)[:40]
    with tempfile.TemporaryDirectory() as tmp:
        async with database(database_choice, Path(tmp)) as db:
            await backlog(db, territories, zones, alerts, window)


async def backlog(
    db: Database, territories: TerritoryRegistry, zones: list[str], alerts: int, window: float
) -> None:
    """Publish the backlog with the bridge stopped, then time the bridge working through it."""
    double = DiscourseDouble(admin_limit=60, window=window)
    await double.start()
    bridge = await make_bridge(db, double, territories, limit=60, window=window)
    organisations = [police_zone(territories, z, prefix="pz-") for z in zones]
    author = Member(
        AUTHOR, "Bench Analyst", organisations[0].key, frozenset({Role.MEMBER, Role.AUTHOR})
    )
    await import_partners(
        SqlUnitOfWork(db.sessions),
        PartnerDocument(tuple(organisations), (author,), {}),
        "bench",
        NOW,
    )
    await bridge.drain(within=3600)  # the organisations' groups: set-up, not the backlog
    setup_requests = len(double.requests)
    labels = [Tlp.AMBER, Tlp.GREEN, Tlp.CLEAR, Tlp.AMBER]
    for n in range(alerts):
        zone = territories.zones[zones[n % len(zones)]]
        content = AlertContent(
            type=list(PhenomenonType)[n % 10],
            municipalities=(zone.municipalities[0],),
            period_start=date(2026, 11, 1 + n % 20),
            period_end=date(2026, 12, 1),
            tlp=labels[n % len(labels)],
            summary=f"Backlog alert {n}: a wave seen by several partners this week.",
        )
        await use.create_alert(
            SqlUnitOfWork(db.sessions),
            content,
            AUTHOR,
            territories,
            ModerationPolicy(moderate_non_police=False, moderate_clear=False),
            NOW,
        )
    await asyncio.sleep(window * 1.05)  # the set-up's requests leave the window first:
    # the floor below assumes the backlog starts with the whole budget available
    started = time.perf_counter()
    await bridge.drain(within=3600)
    elapsed = time.perf_counter() - started
    backlog_requests = len(double.requests) - setup_requests
    topics = len(double.forum.topics)
    minimum = alerts  # one createTopicPostPM per alert
    floor = max(0.0, (minimum - double.admin_limit) / double.admin_limit * window)
    await double.stop()
    assert topics == alerts, f"{topics} topics for {alerts} alerts"
    assert not double.violations, double.violations[:3]
    print(f"alerts synced: {alerts} (topics: {topics}), window {window:g} s, limit 60")
    print(
        f"requests: {backlog_requests} for the backlog = {backlog_requests / alerts:.3f} per "
        f"alert; minimum {minimum / alerts:.3f}; ratio {backlog_requests / minimum:.3f}x "
        f"(target <= 1.1x); set-up before the backlog: {setup_requests} (groups)"
    )
    own_floor = max(0.0, (backlog_requests - double.admin_limit) / double.admin_limit * window)
    print(
        f"time: {elapsed:.1f} s against the rate limit's floor of {floor:.1f} s for the "
        f"minimum requests ({ratio(elapsed, floor)}) and {own_floor:.1f} s for the requests made "
        f"({ratio(elapsed, own_floor)}); "
        f"429 answers: {double.throttled}"
    )


if __name__ == "__main__":
    options = parser(__doc__)
    options.add_argument("--alerts", type=int, default=500)
    options.add_argument("--window", type=float, default=2.0, help="seconds per rate window")
    add_database_option(options)
    args = options.parse_args()
    asyncio.run(main(args.alerts, args.window, args.database))
