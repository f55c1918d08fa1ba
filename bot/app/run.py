"""Starting the bot: configuration, chat platforms, HTTP server, scheduler — and stopping it.

`run_bot` is what `calea-bot run` does; `poll_once` is one cycle with the same wiring.
Both take their settings from `Paths.settings` (bot.settings read the environment).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import TextIO

import click
from starlette.routing import Route

from bot import __version__
from bot.alerts.digest_schedule import DigestSchedule
from bot.app.adapters import ChatPlatforms, ensure_console_destination, load_platforms
from bot.app.build import Paths, build_pipeline, close_pipeline, source_names
from bot.app.calendar_route import calendar_route
from bot.app.coordination import Coordination
from bot.app.metrics import BotMetrics
from bot.app.progress import Progress
from bot.app.readiness import Readiness
from bot.app.web import WebServer, build_web_app
from bot.commands.context import CommandServices
from bot.common.clock import utc_now
from bot.config import Config, load_config
from bot.models import CycleReport, Source
from bot.pipeline.deliver import drain_outbox
from bot.pipeline.probe import url_prober
from bot.settings import Settings
from bot.sinks.console import ConsoleSink
from bot.store import Store, describe_database
from bot.store.user_sources import with_user_sources

log = logging.getLogger(__name__)


def digest_schedule(settings: Settings) -> DigestSchedule:
    """CALEA_BOT_DIGEST_TIME (HH:MM, default 08:00) in CALEA_BOT_TIMEZONE (default UTC)."""
    return DigestSchedule.parse(settings.digest_time, settings.timezone)


def connect_platforms(
    config: Config,
    paths: Paths,
    digests: DigestSchedule,
    *,
    console: ConsoleSink | None = None,
    metrics: BotMetrics | None = None,
) -> ChatPlatforms:
    """Configured chat platforms, credentials checked; each with its own database connection."""

    def services() -> CommandServices:
        return CommandServices(
            config=config,
            store=Store(paths.db),
            probe_url=url_prober(config),
            digest_time=digests.local_time.strftime("%H:%M"),
            public_url=paths.settings.public_url,
            observe_command=metrics.observe_command if metrics else None,
            subscribe_admins_only=paths.settings.ops.subscribe_admins_only,
        )

    platforms = load_platforms(paths.settings, services, console=console)
    platforms.verify()
    return platforms


def poll_once(
    paths: Paths,
    *,
    source_ids: tuple[str, ...] = (),
    console: TextIO | None = None,
    progress: Progress | None = None,
) -> CycleReport:
    """One cycle over every enabled source (or the given ones), then deliver what is due."""
    config = load_config(paths.feeds)
    digests = digest_schedule(paths.settings)
    store = Store(paths.db)
    try:
        config = with_user_sources(config, store)
        sources = [config.source(s) for s in source_ids] if source_ids else None
        platforms = connect_platforms(config, paths, digests, console=ConsoleSink(console))
        if not platforms.adapters:
            ensure_console_destination(store, utc_now())
        pipeline = build_pipeline(config, store, digests=digests, settings=paths.settings)
        if progress is not None:
            progress.start(sum(1 for s in sources or config.sources if s.enabled))
            pipeline.observers.append(progress.step)

        async def cycle() -> CycleReport:
            try:
                return await pipeline.run_cycle(sources)
            finally:
                await close_pipeline(pipeline)

        try:
            report = asyncio.run(cycle())
            if progress is not None:
                progress.finish()
            drain_outbox(
                store, platforms.couriers, now=utc_now(), source_names=source_names(config)
            )
        finally:
            platforms.stop()
        return report
    finally:
        store.close()


def run_bot(paths: Paths) -> None:
    """Poll forever on schedule, deliver alerts, serve chat requests; stop on SIGINT/SIGTERM."""
    from bot.app.scheduler import BotScheduler

    config = load_config(paths.feeds)
    settings = paths.settings
    digests = digest_schedule(settings)
    open_store = functools.partial(Store, paths.db, claim_seconds=settings.claim_seconds)
    store = open_store()
    coordination = None
    extra: list[Store] = []  # connections of /readyz and /metrics
    try:
        # One bot per SQLite file; on PostgreSQL, replicas elect the one that polls.
        coordination = Coordination(paths.db, settings).start()
        metrics = None
        if settings.ops.metrics:
            extra.append(open_store())
            metrics = BotMetrics(extra[-1])
        platforms = connect_platforms(config, paths, digests, metrics=metrics)
        routes = platforms.routes() + ([metrics.route()] if metrics else [])
        # /healthz for containers and platforms: served whenever PORT is set, or a route needs it.
        port = settings.port if platforms.routes() or settings.port_given else None
        if not platforms.adapters:
            ensure_console_destination(store, utc_now())
        # A single instance settles what its crashed predecessor left mid-send; replicas hand
        # a dead one's channels over when its claims run out (Outbox.claim_due).
        recovered = 0 if coordination.replicated else platforms.recover_in_flight(store, utc_now())
        _print_startup(
            with_user_sources(config, store), paths, platforms, port, recovered, coordination
        )
        pipeline = build_pipeline(config, store, parallel=True, digests=digests, settings=settings)
        if metrics is not None:
            pipeline.observers.append(metrics.observe_poll)
            for courier in platforms.couriers.values():
                courier.observers.append(metrics.observe_delivery)

        async def main() -> None:
            scheduler = BotScheduler(
                pipeline,
                platforms.couriers,
                delivery_store_factory=open_store,
                ecfs=settings.ecfs,
                is_leader=coordination.is_leader,
            )
            coordination.when_elected(scheduler.elected)
            web = None
            if port is not None:
                extra.append(open_store())
                ready = Readiness(
                    extra[-1],
                    lambda: pipeline.config,
                    lambda: scheduler.running,
                    outbox_stuck_minutes=settings.ops.outbox_stuck_minutes,
                )
                calendar = calendar_route(open_store)
                app = build_web_app([*routes, calendar], health=platforms.health, ready=ready)
                web = WebServer(
                    app,
                    host=settings.host,
                    port=port,
                    body_timeout=settings.ops.http_body_timeout,
                    max_connections=settings.ops.http_max_connections,
                    keepalive=settings.ops.http_keepalive,
                )
                await web.start()
            platforms.start()
            try:
                await scheduler.run()
            finally:
                platforms.stop()
                if web is not None:
                    await web.stop()
                await close_pipeline(pipeline)

        with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C during shutdown
            asyncio.run(main())
    finally:
        if coordination is not None:
            coordination.release()
        for other in extra:
            other.close()
        store.close()
    click.echo("calea-bot stopped cleanly.", err=True)


def _print_startup(
    config: Config,
    paths: Paths,
    platforms: ChatPlatforms,
    port: int | None,
    recovered: int,
    coordination: Coordination,
) -> None:
    enabled: list[Source] = [s for s in config.sources if s.enabled]
    disabled = len(config.sources) - len(enabled)
    echo = functools.partial(click.echo, err=True)
    echo(f"calea-bot {__version__}")
    echo(f"  feeds:  {paths.feeds} — {len(enabled)} sources enabled, {disabled} disabled")
    for source in enabled:
        echo(f"          {source.id:<28} every {_duration(source.interval_seconds)}")
    echo(f"  topics: {', '.join(config.topic_ids())}")
    echo(f"  matters: {', '.join(m.id for m in config.matters) or 'none'}")
    echo(f"  sinks:  {', '.join(platforms.couriers)}")
    for adapter in platforms.adapters:
        echo(f"          {adapter.platform}: {adapter.mode} mode")
    if port is not None:
        served = [*_paths(platforms), "/healthz", "/readyz"]
        if paths.settings.ops.metrics:
            served.append("/metrics")
        echo(f"  http:   port {port} ({', '.join(served)})")
    echo(f"  db:     {describe_database(paths.db)} — {coordination.role()}")
    if recovered:
        echo(f"  resuming {recovered} alerts that were being delivered when the bot stopped")


def _paths(platforms: ChatPlatforms) -> list[str]:
    return [route.path for route in platforms.routes() if isinstance(route, Route)]


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"
