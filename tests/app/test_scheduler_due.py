"""Issue 10 defect 2: a job that fires just before the due time must not skip a whole interval."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.app.scheduler import BotScheduler
from bot.common.clock import utc_now
from bot.models import FetchResult, Health, Source
from bot.store import Store
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import numbered_entries, rss
from tests.pipeline.test_poll import make_config, make_pipeline


def test_a_source_due_just_after_the_job_fires_is_polled_at_its_due_time(tmp_path):
    with FeedServer() as server:
        server.route("/f", body=rss(numbered_entries("s", 2)))
        source = Source(id="s", name="S", url=server.url("/f"), interval_seconds=3600)
        store = Store(tmp_path / "bot.db")
        # Polled a moment ago; due again in 1 s, while the job's grid fires now and in an hour.
        now = utc_now()
        with store.transaction():
            store.sources.record(
                FetchResult("s", source.url, Health.NOT_MODIFIED),
                health=Health.NOT_MODIFIED,
                message="unchanged",
                now=now,
                next_poll_at=now + dt.timedelta(seconds=1),
            )
        pipeline = make_pipeline(make_config(tmp_path, [source]), store)
        polled = asyncio.Event()
        pipeline.observers.append(lambda outcome, seconds: polled.set())

        async def main() -> bool:
            scheduler = BotScheduler(
                pipeline, {}, delivery_store_factory=lambda: Store(store.target)
            )
            task = asyncio.create_task(scheduler.run())
            try:
                await asyncio.wait_for(polled.wait(), timeout=15)
                return True
            except TimeoutError:
                return False
            finally:
                scheduler.stop()
                await task
                await pipeline.fetcher.aclose()

        try:
            assert asyncio.run(main()), "the source was not polled when it became due"
        finally:
            store.close()
