"""`feeds check`: fetch and parse every enabled source once, storing nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.common.text_safety import one_line
from bot.config import Config
from bot.errors import FeedParseError
from bot.feeds.fetch import Fetcher
from bot.models import Health, Source
from bot.pipeline.analyze import analyze_feed
from bot.reports.text import table


@dataclass(frozen=True)
class ProbeResult:
    """What one probe of a source found."""

    source: Source
    health: Health
    status_code: int | None
    items: int
    seconds: float
    message: str

    def to_json(self) -> dict:
        """JSON-ready view."""
        return {
            "id": self.source.id,
            "health": self.health.value,
            "status_code": self.status_code,
            "items": self.items,
            "seconds": round(self.seconds, 3),
            "message": self.message,
        }


async def _probe(fetcher: Fetcher, config: Config, source: Source) -> ProbeResult:
    result = await fetcher.fetch(source)
    health, message, items = result.health, result.message, 0
    if health is Health.OK and result.body is not None:
        try:
            feed = analyze_feed(
                result.body,
                source=source,
                base_url=result.url,
                content_type=result.content_type,
                topics=config.topics,
                matters=config.matters,
            )
            items = len(feed.items)
            message = f"{items} items" + (f"; warning: {feed.warnings[0]}" if feed.warnings else "")
        except FeedParseError as exc:
            health, message = exc.health, exc.message
    return ProbeResult(source, health, result.status_code, items, result.elapsed_seconds, message)


async def probe_sources(
    config: Config, on_done: Callable[[ProbeResult], object] | None = None
) -> list[ProbeResult]:
    """Probe every enabled source concurrently (`on_done` is told as each one finishes)."""

    async def probe(fetcher: Fetcher, source: Source) -> ProbeResult:
        result = await _probe(fetcher, config, source)
        if on_done is not None:
            on_done(result)
        return result

    async with Fetcher(config.fetch) as fetcher:
        return list(await asyncio.gather(*(probe(fetcher, s) for s in config.enabled_sources())))


def url_prober(config: Config) -> Callable[[str], Awaitable[ProbeResult]]:
    """A probe for one URL a chat admin wants to add (public addresses only, nothing stored)."""

    async def probe(url: str) -> ProbeResult:
        source = Source(id="probe", name=url, url=url, public_only=True)
        async with Fetcher(config.fetch) as fetcher:
            return await _probe(fetcher, config, source)

    return probe


def render_probes(results: Sequence[ProbeResult]) -> str:
    """The probe results as a table."""
    rows = [
        [
            r.source.id,
            r.health.value,
            str(r.status_code or "-"),
            str(r.items),
            f"{r.seconds:.1f}s",
            one_line(r.message)[:90],
        ]
        for r in results
    ]
    return table(["source", "health", "http", "items", "time", "message"], rows)
