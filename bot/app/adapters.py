"""Chat platforms: the `ChatAdapter` interface, the registry of adapters, and what they add.

Each registered factory builds its adapter from the settings, or returns None when the
settings do not configure that platform. With none configured, alerts go to the console.
Each adapter gets its own database connection (commands run in the adapters' threads).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from starlette.routing import BaseRoute

from bot.commands.context import CommandServices
from bot.pipeline.deliver import Courier
from bot.pipeline.sink import Sink
from bot.settings import Settings
from bot.sinks.console import ConsoleSink
from bot.store import Store

log = logging.getLogger(__name__)


class ChatAdapter(Protocol):
    """One chat platform in a running bot: its sink, HTTP routes and background connection."""

    platform: str
    mode: str  # how it is connected, shown at start-up ("socket", "http", "workflows")
    sink: Sink

    def routes(self) -> list[BaseRoute]:
        """HTTP routes it serves (none: it needs no web server)."""
        ...

    def verify(self) -> None:
        """Check credentials now; ConfigError with a clear message when they cannot work."""
        ...

    def start(self) -> None:
        """Open background connections."""
        ...

    def stop(self) -> None:
        """Close connections and worker threads."""
        ...

    def health(self) -> dict | None:
        """Its connection's state for /healthz and /readyz, or None when it keeps none."""
        ...


#: Builds an adapter from the settings, or None when the platform is not configured.
AdapterFactory = Callable[[Settings, CommandServices], ChatAdapter | None]


#: Every chat platform calea-bot can serve, in start-up order.
def _slack(settings: Settings, services: CommandServices) -> ChatAdapter | None:
    # Imported here: Bolt costs ~0.1 s, which CLI commands that never chat should not pay.
    from bot.sinks.slack import SlackIntegration

    return SlackIntegration.from_settings(settings.slack, services)


def _teams(settings: Settings, services: CommandServices) -> ChatAdapter | None:
    from bot.sinks.teams import TeamsIntegration

    return TeamsIntegration.from_settings(settings.teams, services)


ADAPTERS: tuple[AdapterFactory, ...] = (_slack, _teams)


@dataclass
class ChatPlatforms:
    """The configured platforms: couriers for their sinks, HTTP routes, connections."""

    adapters: list[ChatAdapter] = field(default_factory=list)
    console: ConsoleSink = field(default_factory=ConsoleSink)
    couriers: dict[str, Courier] = field(init=False)

    def __post_init__(self) -> None:
        sinks: list[Sink] = [a.sink for a in self.adapters] or [self.console]
        self.couriers = {sink.platform: Courier(sink) for sink in sinks}

    def routes(self) -> list[BaseRoute]:
        """HTTP routes the platforms need (none: no web server)."""
        return [route for adapter in self.adapters for route in adapter.routes()]

    def health(self) -> dict[str, dict]:
        """Connection state by platform, for those that report one (Slack Socket Mode)."""
        reports = {}
        for adapter in self.adapters:
            report = adapter.health()
            if report is not None:
                reports[adapter.platform] = report
        return reports

    def verify(self) -> None:
        """Check every platform's credentials (Slack auth.test)."""
        for adapter in self.adapters:
            adapter.verify()

    def start(self) -> None:
        """Open background connections (Slack Socket Mode)."""
        for adapter in self.adapters:
            adapter.start()

    def stop(self) -> None:
        """Close background connections and worker threads."""
        for adapter in self.adapters:
            adapter.stop()

    def recover_in_flight(self, store: Store, now: dt.datetime) -> int:
        """After a crash: settle alerts that were being sent, without posting any twice.

        A sink that can check whether its post landed (Slack message metadata) confirms it;
        every other in-flight alert goes back to the queue. Returns how many were requeued.
        """
        for claimed in store.outbox.in_flight():
            courier = self.couriers.get(claimed.destination.platform)
            outcome = courier.sink.confirm_outcome(claimed) if courier else None
            if outcome is not None:
                log.info("alert %s had already been delivered", claimed.alert.outbox_id)
                store.outbox.record([outcome], now, [claimed])
        store.notices.recover_in_flight()
        return store.outbox.recover_in_flight()


def load_platforms(
    settings: Settings,
    services: Callable[[], CommandServices],
    *,
    console: ConsoleSink | None = None,
) -> ChatPlatforms:
    """Every chat platform the settings (and the database) configure."""
    adapters = []
    for factory in ADAPTERS:
        own = services()
        adapter = factory(settings, own)
        if adapter is None:
            own.store.close()
        else:
            adapters.append(adapter)
    return ChatPlatforms(adapters, console or ConsoleSink())


def ensure_console_destination(store: Store, now: dt.datetime) -> None:
    """The console receives every topic."""
    console = store.subscriptions.ensure_destination("console", "stdout", "console", now=now)
    if not store.subscriptions.of(console.id):
        store.subscriptions.subscribe(console.id, ["*"], now=now)
