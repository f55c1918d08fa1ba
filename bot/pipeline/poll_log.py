"""One log line per source poll (INFO, shown with -v or LOG_LEVEL=INFO), for `run` and `poll`.

Source id, health, new/updated counts and duration only: never the URL or the server's message
(URLs can carry keys), so logs stay safe to ship anywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.pipeline.poll import SourceOutcome

log = logging.getLogger("bot.poll")


def report_poll(
    outcome: SourceOutcome,
    seconds: float,
    observers: Iterable[Callable[[SourceOutcome, float], object]] = (),
) -> None:
    """Log the poll and tell each observer (e.g. a progress counter)."""
    log.info(
        "polled %s: %s, %d new, %d updated in %.2fs",
        outcome.source.id,
        outcome.health.value,
        outcome.ingest.new,
        outcome.ingest.updated,
        seconds,
        extra={
            "source_id": outcome.source.id,
            "health": outcome.health.value,
            "new": outcome.ingest.new,
            "updated": outcome.ingest.updated,
            "duration_seconds": round(seconds, 3),
        },
    )
    for observer in observers:
        observer(outcome, seconds)
