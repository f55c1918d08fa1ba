"""Where the CPU-bound analysis runs: inline, or on every core through a process pool.

feedparser costs about 10 ms of CPU per 50-item feed; with hundreds of sources a single core is
the bottleneck, so production runs analysis in worker processes while the event loop keeps
fetching. The topic and matter rules are sent to each worker once, at start-up.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Protocol

from bot.models import Matter, Source, Topic
from bot.pipeline.analyze import AnalyzedFeed, analyze_feed
from bot.pipeline.worker_guard import prepare_worker


class Analyzer(Protocol):
    """Turns a response body into analysed items (raises FeedParseError when it cannot)."""

    async def analyze(
        self, body: bytes, *, source: Source, base_url: str, content_type: str | None
    ) -> AnalyzedFeed: ...

    def close(self) -> None: ...


class InlineAnalyzer:
    """Analyses in the calling thread: simplest, for tests, small setups and `poll --once`."""

    def __init__(self, topics: Sequence[Topic], matters: Sequence[Matter] = ()) -> None:
        self.topics = tuple(topics)
        self.matters = tuple(matters)

    async def analyze(
        self, body: bytes, *, source: Source, base_url: str, content_type: str | None
    ) -> AnalyzedFeed:
        """Analyse in the event loop thread."""
        return analyze_feed(
            body,
            source=source,
            base_url=base_url,
            content_type=content_type,
            topics=self.topics,
            matters=self.matters,
        )

    def close(self) -> None:
        """Nothing to release."""


_worker_rules: tuple[tuple[Topic, ...], tuple[Matter, ...]] = ((), ())


def _init_worker(topics: tuple[Topic, ...], matters: tuple[Matter, ...]) -> None:
    prepare_worker()  # ignore Ctrl-C (the parent handles it); exit if the parent is killed
    global _worker_rules
    _worker_rules = (topics, matters)


def _analyze_in_worker(
    body: bytes, source: Source, base_url: str, content_type: str | None
) -> AnalyzedFeed:
    topics, matters = _worker_rules
    return analyze_feed(
        body,
        source=source,
        base_url=base_url,
        content_type=content_type,
        topics=topics,
        matters=matters,
    )


class ProcessPoolAnalyzer:
    """Analyses in a pool of worker processes (default: one per core)."""

    def __init__(
        self,
        topics: Sequence[Topic],
        matters: Sequence[Matter] = (),
        *,
        workers: int | None = None,
    ) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(tuple(topics), tuple(matters)),
        )

    def warm_up(self) -> None:
        """Start every worker now (imports feedparser) so the first cycle pays no start-up."""
        futures = [self._pool.submit(os.getpid) for _ in range(self.workers)]
        for future in futures:
            future.result()

    async def analyze(
        self, body: bytes, *, source: Source, base_url: str, content_type: str | None
    ) -> AnalyzedFeed:
        """Analyse in a worker process without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, _analyze_in_worker, body, source, base_url, content_type
        )

    def close(self) -> None:
        """Stop the workers."""
        self._pool.shutdown(wait=True, cancel_futures=True)
