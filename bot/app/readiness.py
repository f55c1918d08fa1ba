"""/readyz conditions beyond the chat connections: database, scheduler, polls, outbox.

Each check is `{"ok": True, "ready": bool, ...}`: readiness never fails liveness (/healthz).
Polls are late when a source's due time passed more than one interval ago (so its last poll
is older than two intervals, or its backoff's due time plus an interval); the outbox is stuck
when its oldest due alert has waited longer than CALEA_BOT_OUTBOX_STUCK_MINUTES.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from bot.common.clock import utc_now
from bot.config import Config
from bot.store import Store


class Readiness:
    """Answers /readyz from the database (its own connection), the scheduler and the config."""

    def __init__(
        self,
        store: Store,
        config: Callable[[], Config],
        scheduler_running: Callable[[], bool],
        *,
        outbox_stuck_minutes: float = 15.0,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.store = store
        self.config = config
        self.scheduler_running = scheduler_running
        self.outbox_stuck = dt.timedelta(minutes=outbox_stuck_minutes)
        self.clock = clock
        self.started_at = clock()
        self._lock = threading.Lock()  # one connection, requests on several threads

    def __call__(self) -> dict[str, dict]:
        """The checks, by name."""
        now = self.clock()
        with self._lock:
            problem = self.store.health.writable()
            late = self._late_sources(now) if problem is None else []
            oldest = self.store.health.oldest_due_pending(now) if problem is None else None
        running = self.scheduler_running()
        waited = (now - oldest).total_seconds() if oldest else 0.0
        return {
            "database": {"ok": True, "ready": problem is None, "error": problem},
            "scheduler": {"ok": True, "ready": running},
            "polls": {"ok": True, "ready": not late, "late_sources": late},
            "outbox": {
                "ok": True,
                "ready": waited <= self.outbox_stuck.total_seconds(),
                "oldest_due_seconds": round(waited),
            },
        }

    def _late_sources(self, now: dt.datetime) -> list[str]:
        states = self.store.sources.all()
        late = []
        for source in self.config().sources:
            if not source.enabled:
                continue
            interval = dt.timedelta(seconds=source.interval_seconds)
            state = states.get(source.id)
            last = state.last_polled_at if state and state.last_polled_at else None
            due = max(self.started_at, last + interval) if last else self.started_at
            if state and state.next_poll_at and state.next_poll_at > due:
                due = state.next_poll_at  # backoff or Retry-After asked for a later poll
            if now > due + interval:
                late.append(source.id)
        return late
