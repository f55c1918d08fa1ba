"""Which dockets get their ECFS filings polled: every watched docket and every tracked
matter's dockets. One source per docket (one request per docket per interval)."""

from __future__ import annotations

import dataclasses

from bot.config import Config
from bot.feeds.ecfs import ECFS_KIND, ecfs_source
from bot.models import Source
from bot.settings import EcfsSettings
from bot.store import Store


def ecfs_dockets(config: Config, store: Store) -> list[str]:
    """Watched dockets and tracked matters' dockets, sorted, once each."""
    dockets = set(store.watches.watched_dockets())
    dockets.update(d for matter in config.matters for d in matter.dockets)
    return sorted(dockets)


def ecfs_sources(config: Config, store: Store, settings: EcfsSettings) -> list[Source]:
    """One ECFS source per docket to poll."""
    return [ecfs_source(docket, settings) for docket in ecfs_dockets(config, store)]


def with_ecfs_sources(config: Config, store: Store, settings: EcfsSettings) -> Config:
    """The configuration with today's ECFS sources in place of any earlier ones."""
    kept = [s for s in config.sources if s.kind != ECFS_KIND]
    wanted = ecfs_sources(config, store, settings)
    return dataclasses.replace(config, sources=(*kept, *wanted))
