"""Housekeeping jobs inside `run`: pruning by `retention_days` once a day."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from apscheduler.triggers.interval import IntervalTrigger

from bot.common.clock import utc_now
from bot.config import Config
from bot.store import Store
from bot.store.retention import PruneReport, prune

log = logging.getLogger(__name__)

FIRST_PRUNE_DELAY = dt.timedelta(seconds=30)  # after start-up's first polls, then daily


def prune_now(store_factory: Callable[[], Store], days: int) -> PruneReport:
    """One prune with its own connection; logged at INFO."""
    store = store_factory()
    try:
        report = prune(store.db, days, utc_now())
    finally:
        store.close()
    log.info("%s", report.describe())
    return report


def schedule_retention(
    scheduler,
    config: Config,
    store_factory: Callable[[], Store],
    *,
    first_delay=FIRST_PRUNE_DELAY,
    is_leader: Callable[[], bool] = lambda: True,
) -> bool:
    """Add the daily prune job when feeds.yaml sets retention_days; True if added.

    With several replicas only the leader prunes."""
    days = config.retention_days
    if not days:
        return False

    async def job() -> None:
        if not is_leader():
            return
        try:
            await asyncio.to_thread(prune_now, store_factory, days)
        except Exception:  # noqa: BLE001 - retention must never stop the bot; retried tomorrow
            log.exception("pruning old items failed")

    scheduler.add_job(
        job,
        IntervalTrigger(days=1),
        id="retention",
        max_instances=1,
        coalesce=True,
        next_run_time=utc_now() + first_delay,
    )
    return True
