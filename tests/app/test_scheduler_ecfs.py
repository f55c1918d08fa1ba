"""run's scheduler keeps one ECFS poll job per watched or tracked docket, in step with watches."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app.scheduler import BotScheduler
from bot.config import Config
from bot.feeds.fetch import Fetcher
from bot.models import Matter, Watch
from bot.pipeline.analyzer import InlineAnalyzer
from bot.pipeline.poll import Pipeline
from bot.settings import EcfsSettings
from bot.store import Store

NOW = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)


def test_sync_schedules_and_unschedules_ecfs_dockets(store: Store, tmp_path: Path) -> None:
    matter = Matter("calea", "CALEA", dockets=("PS 22-329",))
    config = Config(path=tmp_path / "f.yaml", sources=(), topics=(), matters=(matter,))
    pipeline = Pipeline(config, store, Fetcher(config.fetch), InlineAnalyzer(()))
    bot = BotScheduler(pipeline, {}, delivery_store_factory=lambda: store, ecfs=EcfsSettings())

    async def sync() -> list[str]:
        bot._scheduler = scheduler
        await bot._sync_ecfs()
        return sorted(job.id for job in scheduler.get_jobs())

    async def scenario() -> list[list[str]]:
        nonlocal scheduler
        scheduler = AsyncIOScheduler(timezone="UTC")
        seen = [await sync()]
        channel = store.subscriptions.ensure_destination("slack", "C1", now=NOW).id
        store.watches.add(Watch(channel, "docket", "WC 17-97"), now=NOW)
        seen.append(await sync())
        store.watches.remove(channel, "docket", "WC 17-97")
        seen.append(await sync())
        await pipeline.fetcher.aclose()
        return seen

    scheduler = None
    assert asyncio.run(scenario()) == [
        ["poll:ecfs-ps-22-329"],
        ["poll:ecfs-ps-22-329", "poll:ecfs-wc-17-97"],
        ["poll:ecfs-ps-22-329"],
    ]
    assert [s.id for s in pipeline.config.sources] == ["ecfs-ps-22-329"]
