"""/readyz conditions and /metrics (issue 10: health in every mode, Prometheus metrics)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import sqlite3

import httpx

from bot.app.adapters import ensure_console_destination
from bot.app.metrics import BotMetrics
from bot.app.readiness import Readiness
from bot.app.web import build_web_app
from bot.common.clock import utc_now
from bot.models import Source
from bot.pipeline.deliver import Courier, drain_outbox
from bot.sinks.console import ConsoleSink
from bot.store import Store
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import numbered_entries, rss
from tests.pipeline.test_poll import make_config, make_pipeline


def _poll(pipeline) -> None:
    async def go():
        try:
            await pipeline.run_cycle()
        finally:
            await pipeline.fetcher.aclose()

    asyncio.run(go())


def _stocked(tmp_path, server, *, interval=600):
    server.route("/f", body=rss(numbered_entries("f", 3)))
    source = Source(id="fcc", name="FCC", url=server.url("/f"), interval_seconds=interval)
    config = make_config(tmp_path, [source])
    store = Store(tmp_path / "bot.db")
    now = utc_now()
    ensure_console_destination(store, now)
    secret = store.subscriptions.ensure_destination("slack", "C0SECRET", "secret-merger", now=now)
    store.subscriptions.subscribe(secret.id, ["*"], now=now)
    return config, store


class _Client:
    """GETs against the ASGI app in-process (no server, no deprecated TestClient)."""

    def __init__(self, app) -> None:
        self.app = app

    def get(self, path: str) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
                return await client.get(path)

        return asyncio.run(go())


def _client(readiness: Readiness, metrics: BotMetrics | None = None) -> _Client:
    routes = [metrics.route()] if metrics else []
    return _Client(build_web_app(routes, health=lambda: {}, ready=readiness))


def test_readyz_turns_503_for_each_condition_and_healthz_stays_200(tmp_path):
    with FeedServer() as server:
        config, store = _stocked(tmp_path, server)
        pipeline = make_pipeline(config, store)
        _poll(pipeline)
        clock = {"now": utc_now()}
        running = {"yes": True}
        ready_store = Store(store.target)
        readiness = Readiness(
            ready_store,
            lambda: config,
            lambda: running["yes"],
            outbox_stuck_minutes=30,
            clock=lambda: clock["now"],
        )
        client = _client(readiness)
        try:
            # Fresh poll, but the Slack alerts are queued and undelivered: not stuck yet.
            body = client.get("/readyz").json()
            assert client.get("/readyz").status_code == 200, body
            assert body["polls"]["late_sources"] == [] and body["database"]["ready"]
            # 31 minutes later the oldest due alert is older than the limit: stuck.
            clock["now"] += dt.timedelta(minutes=31)
            stuck = client.get("/readyz")
            assert stuck.status_code == 503 and not stuck.json()["outbox"]["ready"]
        finally:
            ready_store.close()
            store.close()


def test_readyz_reports_late_polls_a_stopped_scheduler_and_a_locked_database(tmp_path):
    with FeedServer() as server:
        config, store = _stocked(tmp_path, server, interval=600)
        pipeline = make_pipeline(config, store)
        _poll(pipeline)
        store.outbox.db.execute("UPDATE outbox SET state = 'sent'")  # nothing stuck
        clock = {"now": utc_now()}
        running = {"yes": True}
        ready_store = Store(store.target)
        readiness = Readiness(
            ready_store, lambda: config, lambda: running["yes"], clock=lambda: clock["now"]
        )
        client = _client(readiness)
        try:
            clock["now"] += dt.timedelta(seconds=1100)  # due after ~600 s, grace one interval
            assert client.get("/readyz").status_code == 200
            clock["now"] += dt.timedelta(seconds=300)  # 1400 s: > 2 intervals since the poll
            late = client.get("/readyz")
            assert late.status_code == 503 and late.json()["polls"]["late_sources"] == ["fcc"]
            assert client.get("/healthz").status_code == 200  # liveness is not readiness
            clock["now"] = utc_now()
            running["yes"] = False
            stopped = client.get("/readyz")
            assert stopped.status_code == 503 and not stopped.json()["scheduler"]["ready"]
            running["yes"] = True
            locker = sqlite3.connect(store.path, isolation_level=None)
            locker.execute("BEGIN IMMEDIATE")
            try:
                locked = client.get("/readyz")
            finally:
                locker.execute("ROLLBACK")
                locker.close()
            assert locked.status_code == 503
            assert "not writable" in locked.json()["database"]["error"]
            assert client.get("/readyz").status_code == 200
        finally:
            ready_store.close()
            store.close()


def test_metrics_count_polls_items_deliveries_and_never_name_channels(tmp_path):
    with FeedServer() as server:
        config, store = _stocked(tmp_path, server)
        metrics = BotMetrics(Store(store.target))
        other = BotMetrics(Store(store.target))  # a registry of its own: several apps coexist
        pipeline = make_pipeline(config, store)
        pipeline.observers.append(metrics.observe_poll)
        _poll(pipeline)
        courier = Courier(ConsoleSink(io.StringIO()), sleep=lambda _: None)
        courier.observers.append(metrics.observe_delivery)
        drain_outbox(store, {"console": courier}, now=utc_now())
        readiness = Readiness(Store(store.target), lambda: config, lambda: True)
        text = _client(readiness, metrics).get("/metrics").text
        try:
            assert 'calea_polls_total{health="ok",source="fcc"} 1.0' in text
            assert 'calea_items_total{kind="new"} 3.0' in text
            assert 'calea_alerts_total{outcome="sent",platform="console"} 3.0' in text
            assert 'calea_delivery_latency_seconds_count{platform="console"} 3.0' in text
            assert 'calea_outbox_depth{platform="slack",state="pending"} 3.0' in text
            assert 'calea_outbox_oldest_age_seconds{platform="slack"}' in text
            assert 'calea_source_consecutive_failures{source="fcc"} 0.0' in text
            assert "secret" not in text and "C0SECRET" not in text and server.url() not in text
            metrics.observe_command("slack", "status", 0.02)
            assert (
                'calea_command_duration_seconds_count{command="status",platform="slack"} 1.0'
                in (metrics.exposition().decode())
            )
            assert b"calea_polls_total{" not in other.exposition()
        finally:
            store.close()


def test_metrics_are_off_unless_enabled():
    from bot.settings import load_settings

    assert load_settings({}).ops.metrics is False
    assert load_settings({"CALEA_BOT_METRICS": "1"}).ops.metrics is True
