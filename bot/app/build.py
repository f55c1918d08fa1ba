"""Building the running parts from settings: store, fetcher, analyzer, sinks, destinations.

The CLI and the demo both start here, so `run`, `poll --once` and `demo` wire the pipeline the
same way. Environment variables are read only in bot.settings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bot.alerts.digest_schedule import DigestSchedule
from bot.config import Config
from bot.feeds.fetch import Fetcher
from bot.pipeline.analyzer import Analyzer, InlineAnalyzer, ProcessPoolAnalyzer
from bot.pipeline.poll import Pipeline
from bot.settings import DEFAULT_FEEDS, Settings
from bot.store import Store


@dataclass(frozen=True)
class Paths:
    """Where the configuration and the database live, and the settings they come from."""

    feeds: Path
    db: Path | str  # a SQLite file, or a PostgreSQL URL (DATABASE_URL)
    bundled_feeds: bool = False  # no feeds.yaml given or found: the package's default is used
    settings: Settings = Settings()


def bundled_feeds_path() -> Path:
    """The default configuration shipped in the package (a copy of the repository's feeds.yaml)."""
    return Path(str(resources.files("bot") / "default_feeds.yaml"))


def resolve_paths(settings: Settings, cwd: Path | None = None) -> Paths:
    """The settings' files: a named feeds file, else ./feeds.yaml, else the bundled default.

    With no feeds file named and no ./feeds.yaml, the configuration bundled in the package is
    used (`bundled_feeds` says so), so `run` and `demo` work from any folder.
    """
    db = settings.database_url or settings.db
    if settings.feeds_given:
        return Paths(feeds=settings.feeds, db=db, settings=settings)
    local = (cwd or Path.cwd()) / DEFAULT_FEEDS
    if local.exists():
        return Paths(feeds=Path(DEFAULT_FEEDS), db=db, settings=settings)
    return Paths(feeds=bundled_feeds_path(), db=db, bundled_feeds=True, settings=settings)


def build_analyzer(config: Config, *, parallel: bool) -> Analyzer:
    """A process pool on every core for long runs; inline for one-off commands and tests."""
    if parallel and (os.cpu_count() or 1) > 1:
        analyzer = ProcessPoolAnalyzer(config.topics, config.matters)
        analyzer.warm_up()
        return analyzer
    return InlineAnalyzer(config.topics, config.matters)


def build_pipeline(
    config: Config,
    store: Store,
    *,
    parallel: bool = False,
    digests: DigestSchedule | None = None,
    settings: Settings | None = None,
) -> Pipeline:
    """A pipeline with a fresh fetcher and analyzer (close both with `close_pipeline`)."""
    return Pipeline(
        config=config,
        store=store,
        fetcher=Fetcher(config.fetch),
        analyzer=build_analyzer(config, parallel=parallel),
        digests=digests or DigestSchedule(),
        admin_targets=admin_targets(settings) if settings else (),
    )


def admin_targets(settings: Settings) -> tuple[tuple[str, str], ...]:
    """(platform, address) of the admin channels told when a source breaks or recovers.

    The Slack channel counts only with Slack configured; the Teams one names a channel
    registered with `calea-bot teams add-channel`.
    """
    targets = []
    if settings.ops.admin_channel and settings.slack is not None:
        targets.append(("slack", settings.ops.admin_channel))
    if settings.teams.admin_channel:
        targets.append(("teams", settings.teams.admin_channel))
    return tuple(targets)


async def close_pipeline(pipeline: Pipeline) -> None:
    """Release the fetcher's connections and the analyzer's workers."""
    await pipeline.fetcher.aclose()
    pipeline.analyzer.close()


def source_names(config: Config) -> dict[str, str]:
    """Source id → display name, for rendering alerts."""
    return {s.id: s.name for s in config.sources}
