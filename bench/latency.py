"""New item → alert latency through the real scheduler (issue 10 defect 2).

A loopback server serves N feeds; at random moments a feed gains an item, and the time it
appeared is noted. `BotScheduler` polls every source on its interval (shrunk to seconds) and
drains the outbox to a console sink; the latency of an item is the moment the sink printed
its alert minus the moment it appeared. With polls landing within interval + jitter, the
worst case is about interval × 1.1 + the drain interval; a poll that skips a whole interval
shows up as latencies near two intervals. `--latency-before` runs the scheduler without the
due-time re-check, for comparison.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import random
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bot.app.adapters import ensure_console_destination
from bot.app.build import build_pipeline, close_pipeline
from bot.app.scheduler import BotScheduler
from bot.common.clock import utc_now
from bot.config import Config
from bot.models import FetchSettings, Source, Topic
from bot.pipeline.deliver import Courier
from bot.sinks.console import ConsoleSink
from bot.store import Store


class _Feeds:
    """Feed bodies by path, with the monotonic time each item appeared."""

    def __init__(self) -> None:
        self.items: dict[str, list[str]] = {}
        self.appeared: dict[str, float] = {}
        self.lock = threading.Lock()

    def add(self, feed: str, title: str) -> None:
        with self.lock:
            self.items.setdefault(feed, []).append(title)
            self.appeared[title] = time.monotonic()

    def body(self, feed: str) -> bytes:
        with self.lock:
            titles = list(self.items.get(feed, []))
        entries = "".join(
            f"<item><title>{t}</title><link>https://example.gov/{t}</link>"
            f"<guid>{t}</guid><description>{t} about robocalls</description></item>"
            for t in titles
        )
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>'
            f"<link>https://example.gov/</link><description>d</description>{entries}"
            "</channel></rss>"
        ).encode()


def _server(feeds: _Feeds) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = feeds.body(self.path.strip("/"))
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _Clocked(ConsoleSink):
    """A console sink noting when each alert's title was 'accepted'."""

    def __init__(self) -> None:
        super().__init__(io.StringIO())
        self.accepted: dict[str, float] = {}

    def send(self, message, pace):
        result = super().send(message, pace)
        now = time.monotonic()
        for alert in message.alerts:
            self.accepted.setdefault(alert.title, now)
        return result


def measure_latency(
    *, feeds: int = 10, interval: int = 4, seconds: float = 60.0, recheck: bool = True
) -> dict:
    """Run the bot for `seconds`; return p50/p99/max latency in seconds and in intervals."""
    store_feeds = _Feeds()
    server = _server(store_feeds)
    port = server.server_address[1]
    for n in range(feeds):
        store_feeds.add(f"f{n}", f"seed-{n}")  # the backlog, stored quietly on the first poll
    sources = tuple(
        Source(
            id=f"f{n}", name=f"F{n}", url=f"http://127.0.0.1:{port}/f{n}", interval_seconds=interval
        )
        for n in range(feeds)
    )
    config = Config(
        path=Path("bench.yaml"),
        sources=sources,
        topics=(Topic(id="robocalls", title="Robocalls", keywords=("robocalls",)),),
        matters=(),
        fetch=FetchSettings(per_host_concurrency=feeds, total_timeout=5.0),
        first_poll_alerts=0,
    )
    sink = _Clocked()
    with tempfile.TemporaryDirectory(prefix="calea-latency-") as folder:
        store = Store(Path(folder) / "bot.db")
        ensure_console_destination(store, utc_now())
        pipeline = build_pipeline(config, store)
        scheduler = BotScheduler(
            pipeline,
            {"console": Courier(sink)},
            delivery_store_factory=lambda: Store(store.path),
            drain_interval=0.5,
        )
        if not recheck:
            scheduler._recheck_at = lambda source, due: None  # the behaviour before the fix

        async def main() -> None:
            task = asyncio.create_task(scheduler.run())
            rng = random.Random(7)
            await asyncio.sleep(interval * 1.5)  # first polls store the seeds quietly
            deadline = time.monotonic() + seconds
            count = 0
            while time.monotonic() < deadline:
                await asyncio.sleep(rng.uniform(0.05, 0.4))
                store_feeds.add(f"f{rng.randrange(feeds)}", f"item-{count}")
                count += 1
            await asyncio.sleep(interval * 2.5 + 1)  # let the last items arrive
            scheduler.stop()
            await task
            await close_pipeline(pipeline)

        asyncio.run(main())
        store.close()
    server.shutdown()
    latencies = sorted(
        sink.accepted[t] - store_feeds.appeared[t]
        for t in store_feeds.appeared
        if t.startswith("item-") and t in sink.accepted
    )
    missing = sum(1 for t in store_feeds.appeared if t.startswith("item-")) - len(latencies)
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return {
        "items": len(latencies),
        "missing": missing,
        "interval_s": interval,
        "p50_s": round(p50, 2),
        "p99_s": round(p99, 2),
        "max_s": round(latencies[-1], 2),
        "p99_intervals": round(p99 / interval, 2),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
