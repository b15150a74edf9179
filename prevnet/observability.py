"""Health and metrics of a running prevnet: ``/health`` for load balancers, ``/metrics`` for
Prometheus. Served next to the incident API by ``prevnet up``.

Health is healthy when the database answers, the homeserver answers and the outbox is not stuck
(its oldest pending event younger than ``max_lag``). Dead letters (events set aside after
failing for good) are not pending: they are reported apart and do not make it unhealthy.
Metrics are counted as things happen (alerts published, bulletins sent, detection run time) or
measured at scrape time (outbox depth and age, dead letters). A separate registry per process
keeps tests independent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from phenomena.storage.outbox import OutboxStats

Check = Callable[[], Awaitable[bool]]
StatsSource = Callable[[], Awaitable[OutboxStats]]
Clock = Callable[[], datetime]


@dataclass
class Metrics:
    """The counters and gauges prevnet exports."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.alerts_published = Counter("prevnet_alerts_published", "Alerts published", registry=r)
        self.bulletins_sent = Counter(
            "prevnet_bulletins_sent", "Bulletins sent to rooms", registry=r
        )
        self.delivery_failures = Counter(
            "prevnet_delivery_failures",
            "Outbox handler failures (retried)",
            ["handler"],
            registry=r,
        )
        self.detection_seconds = Histogram(
            "prevnet_detection_seconds",
            "Run time of one detection analysis",
            registry=r,
            buckets=(1, 2, 5, 10, 20, 60, 120, 300),
        )
        self.discourse_requests = Counter(
            "prevnet_discourse_requests", "Requests sent to Discourse", ["call"], registry=r
        )
        self.discourse_throttled = Counter(
            "prevnet_discourse_throttled", "Discourse answers 429 (rate limited)", registry=r
        )
        self.outbox_depth = Gauge("prevnet_outbox_depth", "Events waiting for delivery", registry=r)
        self.outbox_age = Gauge(
            "prevnet_outbox_oldest_seconds", "Age of the oldest undelivered event", registry=r
        )
        self.outbox_failing = Gauge(
            "prevnet_outbox_failing", "Undelivered events that failed at least once", registry=r
        )
        self.outbox_dead = Gauge(
            "prevnet_outbox_dead_letters", "Events set aside after failing for good", registry=r
        )


def observability_routes(
    app: web.Application,
    metrics: Metrics,
    outbox_stats: StatsSource,
    database_ok: Check,
    homeserver_ok: Check,
    clock: Clock,
    max_lag: timedelta = timedelta(minutes=5),
    *,
    peer: str = "homeserver",
    problems: Callable[[], Sequence[str]] | None = None,
    unknown_mails: Callable[[], Awaitable[Sequence[str]]] | None = None,
) -> None:
    """Add ``GET /health`` and ``GET /metrics`` to an aiohttp application.

    ``homeserver_ok`` checks the service's peer, reported under ``peer`` (the bots' homeserver,
    the bridge's Discourse). ``problems`` are what the last reconciliation could not repair,
    each with its fix: listed for a person to act on, they leave the service healthy.
    ``unknown_mails`` names the e-mails whose fate is unknown (the relay failed while it had
    them; never resent): listed under ``email`` for an operator, they leave it healthy too.
    """

    async def refresh() -> OutboxStats | None:
        try:
            stats = await outbox_stats()
        except Exception:
            return None
        metrics.outbox_depth.set(stats.pending)
        metrics.outbox_failing.set(stats.failing)
        metrics.outbox_dead.set(stats.dead)
        age = (clock() - stats.oldest).total_seconds() if stats.oldest else 0.0
        metrics.outbox_age.set(max(age, 0.0))
        return stats

    async def health(request: web.Request) -> web.Response:
        stats = await refresh()
        database = stats is not None and await _safe(database_ok)
        homeserver = await _safe(homeserver_ok)
        lag = (clock() - stats.oldest).total_seconds() if stats and stats.oldest else 0.0
        outbox_ok = stats is not None and lag <= max_lag.total_seconds()
        healthy = database and homeserver and outbox_ok
        body: dict[str, object] = {
            "status": "ok" if healthy else "unhealthy",
            "database": "ok" if database else "unreachable",
            peer: "ok" if homeserver else "unreachable",
            "outbox": {
                "pending": stats.pending if stats else None,
                "oldest_seconds": round(lag, 1),
                "dead_letters": stats.dead if stats else None,
                "status": "ok" if outbox_ok else "lagging",
            },
        }
        if problems is not None:
            body["problems"] = list(problems())
        if unknown_mails is not None:
            try:
                unknown: list[str] | None = list(await unknown_mails())
            except Exception:
                unknown = None
            body["email"] = {
                "unknown_fate": unknown,
                "what_to_do": "`prevnet outbox list` shows them; they are never sent again",
            }
        return web.json_response(body, status=200 if healthy else 503)

    async def metrics_page(request: web.Request) -> web.Response:
        await refresh()
        return web.Response(
            body=generate_latest(metrics.registry),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )

    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics_page)


async def _safe(check: Check) -> bool:
    try:
        return await check()
    except Exception:
        return False
