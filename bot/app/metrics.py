"""/metrics for Prometheus (CALEA_BOT_METRICS=1), on a registry of the bot's own.

Counters and histograms are fed by observers (polls, deliveries, commands); gauges are read
from the database at scrape time. Labels are source ids, health states, platforms, outcomes
and command names from a fixed set — never channel names, addresses, URLs or secrets.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Sequence

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.common.clock import utc_now
from bot.models import ClaimedAlert, DeliveryOutcome
from bot.pipeline.poll import SourceOutcome
from bot.store import Store

LATENCY_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600)
COMMAND_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10)


class BotMetrics:
    """The bot's metrics; its methods are the observers the pipeline, couriers and commands call."""

    def __init__(self, store: Store, *, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.registry = CollectorRegistry()
        self.clock = clock
        r = self.registry
        self.polls = Counter(
            "calea_polls",
            "Source polls by source and health state",
            ["source", "health"],
            registry=r,
        )
        self.poll_seconds = Histogram(
            "calea_poll_duration_seconds", "Time to fetch, analyse and store one source", registry=r
        )
        self.items = Counter(
            "calea_items", "Items stored, by kind (new, updated)", ["kind"], registry=r
        )
        self.alerts_queued = Counter("calea_alerts_queued", "Alerts queued by polls", registry=r)
        self.alerts = Counter(
            "calea_alerts",
            "Delivery outcomes by platform (sent, retry, pause, failed)",
            ["platform", "outcome"],
            registry=r,
        )
        self.latency = Histogram(
            "calea_delivery_latency_seconds",
            "Item stored → platform accepted the alert",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.commands = Histogram(
            "calea_command_duration_seconds",
            "Chat command run time by platform and command",
            ["platform", "command"],
            buckets=COMMAND_BUCKETS,
            registry=r,
        )
        r.register(_StoreCollector(store, clock))

    def observe_poll(self, outcome: SourceOutcome, seconds: float) -> None:
        """Pipeline observer: one source polled."""
        self.polls.labels(outcome.source.id, outcome.health.value).inc()
        self.poll_seconds.observe(seconds)
        self.items.labels("new").inc(outcome.ingest.new)
        self.items.labels("updated").inc(outcome.ingest.updated)
        self.alerts_queued.inc(outcome.ingest.alerts_queued)

    def observe_delivery(
        self, platform: str, claimed: Sequence[ClaimedAlert], outcomes: Sequence[DeliveryOutcome]
    ) -> None:
        """Courier observer: one destination's round."""
        queued = {c.alert.outbox_id: c.queued_at for c in claimed}
        now = self.clock()
        for outcome in outcomes:
            self.alerts.labels(platform, outcome.status).inc()
            at = queued.get(outcome.outbox_id)
            if outcome.status == "sent" and at is not None:
                self.latency.labels(platform).observe(max(0.0, (now - at).total_seconds()))

    def observe_command(self, platform: str, command: str, seconds: float) -> None:
        """Command observer (`command` comes from a fixed set of names)."""
        self.commands.labels(platform, command).observe(seconds)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)

    def route(self) -> Route:
        """GET /metrics."""

        async def metrics(_: Request) -> Response:
            body = await run_in_threadpool(self.exposition)
            return Response(body, media_type=CONTENT_TYPE_LATEST)

        return Route("/metrics", metrics, methods=["GET"])


class _StoreCollector(Collector):
    """Outbox depth and age, and each source's consecutive failures, read when scraped."""

    def __init__(self, store: Store, clock: Callable[[], dt.datetime]) -> None:
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()

    def describe(self) -> Iterable[Metric]:
        return []  # values come from the database at scrape time

    def collect(self) -> Iterable[Metric]:
        now = self.clock()
        with self._lock:
            depth = self.store.health.outbox_depth()
            states = self.store.sources.all()
        rows = GaugeMetricFamily(
            "calea_outbox_depth",
            "Undelivered alerts by platform and state",
            labels=["platform", "state"],
        )
        age = GaugeMetricFamily(
            "calea_outbox_oldest_age_seconds",
            "Age of the oldest undelivered alert by platform",
            labels=["platform"],
        )
        oldest: dict[str, dt.datetime] = {}
        for (platform, state), (count, created) in sorted(depth.items()):
            rows.add_metric([platform, state], count)
            if created is not None and (platform not in oldest or created < oldest[platform]):
                oldest[platform] = created
        for platform, created in sorted(oldest.items()):
            age.add_metric([platform], max(0.0, (now - created).total_seconds()))
        failures = GaugeMetricFamily(
            "calea_source_consecutive_failures",
            "Failed polls in a row, by source",
            labels=["source"],
        )
        for source_id, state in sorted(states.items()):
            failures.add_metric([source_id], state.consecutive_failures)
        return [rows, age, failures]
