"""Which chat platforms are configured, and the parts each contributes to a running bot.

Each adapter exposes `from_env(env, services)` and returns None when the environment does not
configure it. With none configured, alerts go to the console. Each adapter gets its own
database connection (commands run in the adapters' threads).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import BaseRoute

from bot.commands.context import CommandServices
from bot.sinks.base import Sink
from bot.sinks.console import ConsoleSink
from bot.store import Store

log = logging.getLogger(__name__)


@dataclass
class ChatPlatforms:
    """The configured platforms: their sinks, HTTP routes and background connections."""

    adapters: list[Any] = field(default_factory=list)

    @property
    def sinks(self) -> dict[str, Sink]:
        """Sinks by platform; the console when no chat platform is configured."""
        if not self.adapters:
            return {"console": ConsoleSink()}
        return {adapter.sink.platform: adapter.sink for adapter in self.adapters}

    def routes(self) -> list[BaseRoute]:
        """HTTP routes the platforms need (none: no web server)."""
        return [route for adapter in self.adapters for route in adapter.routes()]

    def health(self) -> dict[str, dict]:
        """Connection state by platform, for those that report one (Slack Socket Mode)."""
        reports = {}
        for adapter in self.adapters:
            report = adapter.health() if hasattr(adapter, "health") else None
            if report is not None:
                reports[adapter.sink.platform] = report
        return reports

    def verify(self) -> None:
        """Check credentials now (Slack auth.test); ConfigError with a clear message."""
        for adapter in self.adapters:
            if hasattr(adapter, "verify"):
                adapter.verify()

    def start(self) -> None:
        """Open background connections (Slack Socket Mode)."""
        for adapter in self.adapters:
            if hasattr(adapter, "start"):
                adapter.start()

    def stop(self) -> None:
        """Close background connections and worker threads."""
        for adapter in self.adapters:
            if hasattr(adapter, "stop"):
                adapter.stop()

    def recover_in_flight(self, store: Store, now: dt.datetime) -> int:
        """After a crash: settle alerts that were being sent, without posting any twice.

        A sink that can check whether its post landed (Slack message metadata) confirms it;
        every other in-flight alert goes back to the queue. Returns how many were requeued.
        """
        for claimed in store.outbox.in_flight():
            sink = self.sinks.get(claimed.destination.platform)
            confirm = getattr(sink, "confirm_outcome", None)
            outcome = confirm(claimed) if confirm else None
            if outcome is not None:
                log.info("alert %s had already been delivered", claimed.alert.outbox_id)
                store.outbox.record([outcome], now, [claimed])
        return store.outbox.recover_in_flight()


def load_platforms(
    env: Mapping[str, str], services: Callable[[], CommandServices]
) -> ChatPlatforms:
    """Every chat platform the environment (and the database) configures."""
    from bot.sinks.slack import SlackIntegration
    from bot.sinks.teams import TeamsIntegration

    adapters = []
    for integration in (SlackIntegration, TeamsIntegration):
        own = services()
        adapter = integration.from_env(env, own)
        if adapter is None:
            own.store.close()
        else:
            adapters.append(adapter)
    return ChatPlatforms(adapters)


def ensure_console_destination(store: Store, now: dt.datetime) -> None:
    """The console receives every topic."""
    console = store.subscriptions.ensure_destination("console", "stdout", "console", now=now)
    if not store.subscriptions.of(console.id):
        store.subscriptions.subscribe(console.id, ["*"], now=now)
