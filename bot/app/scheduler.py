"""APScheduler wiring only: one job per source on its interval, one job draining the outbox.

Each source job polls only when the store says the source is due (backoff and Retry-After push
`next_poll_at` later). Jobs use max_instances=1 and coalesce, so a slow source never piles up.
Delivery runs in a worker thread with its own database connection, so a slow chat platform
never blocks polling. SIGINT/SIGTERM stop new work, let in-flight polls finish (each stores its
feed in one transaction) and close everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import signal
from collections.abc import Callable, Mapping

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.app.maintenance import schedule_retention
from bot.common.clock import utc_now
from bot.feeds.ecfs import ECFS_KIND
from bot.models import Source
from bot.pipeline.deadlines import queue_due_reminders
from bot.pipeline.deliver import Courier, drain_outbox
from bot.pipeline.ecfs_sources import with_ecfs_sources
from bot.pipeline.poll import Pipeline
from bot.settings import EcfsSettings
from bot.store import Store

log = logging.getLogger(__name__)

DRAIN_INTERVAL_SECONDS = 5
SYNC_INTERVAL_SECONDS = 60
REMINDER_INTERVAL_SECONDS = 60
SHUTDOWN_GRACE_SECONDS = 15


class BotScheduler:
    """Runs the pipeline forever on its schedule until asked to stop."""

    def __init__(
        self,
        pipeline: Pipeline,
        couriers: Mapping[str, Courier],
        *,
        delivery_store_factory: Callable[[], Store],
        drain_interval: float = DRAIN_INTERVAL_SECONDS,
        ecfs: EcfsSettings | None = None,
        is_leader: Callable[[], bool] = lambda: True,
    ) -> None:
        self.pipeline = pipeline
        # Several replicas on PostgreSQL: every one delivers, only the leader polls and queues
        # reminders (a single SQLite instance always leads).
        self.is_leader = is_leader
        self.couriers = couriers
        self.delivery_store_factory = delivery_store_factory
        self.drain_interval = drain_interval
        self.ecfs = ecfs  # None: no ECFS filings polling
        self._stop = asyncio.Event()
        self.started = asyncio.Event()
        self._running: set[asyncio.Task] = set()
        self._scheduler: AsyncIOScheduler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._draining = False

    def stop(self) -> None:
        """Ask the scheduler to stop (safe to call from a signal handler)."""
        self._stop.set()

    @contextlib.contextmanager
    def _tracked(self):
        """Register the current job's task so shutdown waits for it instead of cancelling it."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            yield
        finally:
            self._running.discard(task)

    async def _poll(self, source: Source) -> None:
        if self._stop.is_set() or not self.is_leader():
            return
        state = self.pipeline.store.sources.get(source.id)
        if not state.is_due(self.pipeline.clock()):
            # The grid fired just before the due time: come back then, not a whole interval later.
            self._recheck_at(source, state.next_poll_at)
            return
        with self._tracked():
            try:
                await self.pipeline.poll_source(source)  # logs its own line (poll_log)
            except Exception:  # noqa: BLE001 - one source's bug must not stop the others
                log.exception("poll of %s crashed", source.id)

    def _recheck_at(self, source: Source, due: dt.datetime | None) -> None:
        """Move the source's next job run to its due time when that comes sooner."""
        job = self._scheduler.get_job(f"poll:{source.id}")
        if due is None or job is None or job.next_run_time is None:
            return
        if due < job.next_run_time:
            job.modify(next_run_time=due)

    @property
    def running(self) -> bool:
        """True between start and a stop request, while APScheduler runs (for /readyz)."""
        scheduler = self._scheduler
        return (
            self.started.is_set()
            and not self._stop.is_set()
            and bool(scheduler and scheduler.running)
        )

    def _drain(self) -> None:
        store = self.delivery_store_factory()
        try:
            names = {s.id: s.name for s in self.pipeline.config.sources}
            report = drain_outbox(store, self.couriers, now=utc_now(), source_names=names)
            if report.sent or report.retried or report.failed:
                log.info(
                    "delivered %d alerts (%d to retry, %d failed)",
                    report.sent,
                    report.retried,
                    report.failed,
                )
        finally:
            store.close()

    def queue_reminders(self) -> int:
        """Queue the deadline reminders due by the pipeline's clock (the outbox sends them)."""
        store = self.delivery_store_factory()
        try:
            return queue_due_reminders(store, now=self.pipeline.clock())
        finally:
            store.close()

    async def _reminder_job(self) -> None:
        if self._stop.is_set() or not self.is_leader():
            return
        with self._tracked():
            try:
                await asyncio.to_thread(self.queue_reminders)
            except Exception:  # noqa: BLE001 - the next run queues what this one missed
                log.exception("queueing deadline reminders failed")

    async def _drain_job(self) -> None:
        # A long drain (a burst, a slow platform) simply makes the next ticks no-ops; the job
        # allows two instances so APScheduler does not warn every tick that one is running.
        if self._stop.is_set() or self._draining:
            return
        self._draining = True
        with self._tracked():
            try:
                await asyncio.to_thread(self._drain)
            except Exception:  # noqa: BLE001 - the outbox keeps the alerts; next drain retries
                log.exception("delivery failed; alerts stay queued")
            finally:
                self._draining = False

    async def run(self) -> None:
        """Schedule every enabled source and the outbox; return after a stop request."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not main thread
                loop.add_signal_handler(sig, self.stop)
        scheduler = AsyncIOScheduler(timezone="UTC")
        self._scheduler = scheduler
        for index, source in enumerate(s for s in self.pipeline.config.sources if s.enabled):
            self._schedule_source(source, _stagger(index))
        periodic = [
            (self._sync_user_sources, SYNC_INTERVAL_SECONDS, "sync-user-sources"),
            (self._drain_job, self.drain_interval, "outbox"),
            (self._reminder_job, REMINDER_INTERVAL_SECONDS, "reminders"),
        ]
        if self.ecfs is not None:
            periodic.append((self._sync_ecfs, SYNC_INTERVAL_SECONDS, "sync-ecfs"))
        for job, seconds, job_id in periodic:
            scheduler.add_job(
                job,
                IntervalTrigger(seconds=seconds),
                id=job_id,
                max_instances=2 if job_id == "outbox" else 1,
                coalesce=True,
                next_run_time=utc_now(),
            )
        schedule_retention(
            scheduler, self.pipeline.config, self.delivery_store_factory, is_leader=self.is_leader
        )
        scheduler.start()
        self.started.set()
        try:
            await self._stop.wait()
        finally:
            # No new runs; let running jobs finish (APScheduler's shutdown would cancel them).
            scheduler.pause()
            await asyncio.sleep(0.05)  # jobs already handed to the loop see the stop and return
            await self._finish_in_flight()
            await asyncio.to_thread(self._drain)
            await self._finish_in_flight()
            scheduler.shutdown(wait=False)

    def elected(self) -> None:
        """This replica now leads (call from any thread): poll whatever is due right away
        instead of at each job's next tick (each job checks the store, so nothing doubles)."""
        if self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._run_due_now)

    def _run_due_now(self) -> None:
        scheduler = self._scheduler
        if scheduler is None or not scheduler.running:
            return
        now = utc_now()
        for job in scheduler.get_jobs():
            if job.id.startswith("poll:") or job.id == "reminders":
                job.modify(next_run_time=now)

    def _schedule_source(self, source: Source, delay: dt.timedelta) -> None:
        interval = source.interval_seconds
        self._scheduler.add_job(
            self._poll,
            IntervalTrigger(seconds=interval, jitter=min(interval * 0.1, 60)),
            args=[source],
            id=f"poll:{source.id}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=interval,
            next_run_time=utc_now().replace(microsecond=0) + delay,
            replace_existing=True,
        )

    async def _sync_user_sources(self) -> None:
        """Start polling feeds added from chat; stop polling removed ones."""
        config = self.pipeline.config
        configured = {s.id for s in config.sources if not s.public_only}
        wanted = {s.id: s for s in self.pipeline.store.user_sources.all() if s.enabled}
        scheduled = {s.id for s in config.sources if s.public_only}
        for source_id in scheduled - wanted.keys():
            self._scheduler.remove_job(f"poll:{source_id}")
            log.info("stopped polling %s (removed from chat)", source_id)
        for source_id in wanted.keys() - scheduled - configured:
            self._schedule_source(wanted[source_id], dt.timedelta(0))
            log.info("polling %s (added from chat)", source_id)
        kept = [s for s in config.sources if not s.public_only]
        self.pipeline.config = dataclasses.replace(config, sources=(*kept, *wanted.values()))

    async def _sync_ecfs(self) -> None:
        """Poll ECFS filings of every watched or tracked docket; stop for unwatched ones."""
        before = {s.id for s in self.pipeline.config.sources if s.kind == ECFS_KIND}
        config = with_ecfs_sources(self.pipeline.config, self.pipeline.store, self.ecfs)
        wanted = {s.id: s for s in config.sources if s.kind == ECFS_KIND}
        for source_id in before - wanted.keys():
            self._scheduler.remove_job(f"poll:{source_id}")
        for index, source_id in enumerate(sorted(wanted.keys() - before)):
            self._schedule_source(wanted[source_id], _stagger(index))
        self.pipeline.config = config

    async def _finish_in_flight(self) -> None:
        if not self._running:
            return
        log.info("waiting for %d in-flight polls to finish", len(self._running))
        _, pending = await asyncio.wait(self._running, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in pending:
            task.cancel()  # their transactions never began or roll back: nothing half-written
        if pending:
            await asyncio.wait(pending, timeout=5)


def _stagger(index: int) -> dt.timedelta:
    """Spread the first polls over a few seconds instead of a thundering start."""
    return dt.timedelta(seconds=min(index * 0.5, 10))
