"""One running bot per SQLite database: a lease row with a heartbeat (replicas on PostgreSQL
elect a polling leader instead: bot.store.leader).

`calea-bot run` acquires the lease before it starts polling and refreshes it every
`heartbeat` seconds from a background thread; a second `run` on the same file is refused with
the holder's pid and host. A holder that crashed (kill -9, power loss) stops refreshing, so
its lease expires after `ttl` seconds and the next `run` takes over. A clean shutdown releases
it at once. CALEA_BOT_LEASE_TTL (default 60 s) and CALEA_BOT_LEASE_HEARTBEAT (default 15 s, at
most a quarter of the TTL) tune it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.errors import CaleaBotError
from bot.store.database import open_database, transaction

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 60.0
DEFAULT_HEARTBEAT_SECONDS = 15.0


class LeaseHeldError(CaleaBotError):
    """Another live bot holds this database's lease."""


@dataclass(frozen=True)
class LeaseHolder:
    """Who holds the lease, as stored."""

    holder_id: str
    pid: int
    host: str
    heartbeat_at: float


class InstanceLease:
    """The lease on one database file for this process."""

    def __init__(
        self,
        path: Path | str,
        *,
        ttl: float = DEFAULT_TTL_SECONDS,
        heartbeat: float = DEFAULT_HEARTBEAT_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.ttl = ttl
        self.heartbeat = heartbeat
        self.clock = clock
        self.holder_id = uuid.uuid4().hex
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self._db = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = False  # set when another instance took the lease over

    def holder(self) -> LeaseHolder | None:
        """The current row, expired or not (None when nobody holds it)."""
        row = (
            self._conn()
            .execute("SELECT holder_id, pid, host, heartbeat_at FROM instance_lease WHERE id = 1")
            .fetchone()
        )
        return LeaseHolder(*row) if row else None

    def acquire(self) -> InstanceLease:
        """Take the lease (or a crashed holder's expired one); raise LeaseHeldError if live."""
        db = self._conn()
        with transaction(db):
            current = self.holder()
            now = self.clock()
            if current is not None and current.holder_id != self.holder_id:
                age = now - current.heartbeat_at
                if age < self.ttl:
                    raise LeaseHeldError(
                        f"{self.path} is in use by another calea-bot (pid {current.pid} on host "
                        f"{current.host}, alive {max(age, 0):.0f}s ago); one instance per "
                        f"database: stop it first (a crashed one's lease expires after "
                        f"{self.ttl:g}s)"
                    )
                log.warning(
                    "taking over the database lease of pid %d on host %s (silent for %.0fs)",
                    current.pid,
                    current.host,
                    age,
                )
            db.execute(
                "INSERT OR REPLACE INTO instance_lease "
                "(id, holder_id, pid, host, heartbeat_at, acquired_at) VALUES (1, ?, ?, ?, ?, ?)",
                [self.holder_id, self.pid, self.host, now, now],
            )
        self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)
        self._thread.start()
        return self

    def refresh(self) -> bool:
        """Move the heartbeat forward; False when the lease is no longer ours."""
        cursor = self._conn().execute(
            "UPDATE instance_lease SET heartbeat_at = ? WHERE id = 1 AND holder_id = ?",
            [self.clock(), self.holder_id],
        )
        return cursor.rowcount == 1

    def release(self) -> None:
        """Stop the heartbeat and give the lease up (only if it is still ours)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._db is None:
            return
        try:
            self._db.execute(
                "DELETE FROM instance_lease WHERE id = 1 AND holder_id = ?", [self.holder_id]
            )
        finally:
            self._db.conn.close()
            self._db = None

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                if not self.refresh() and not self.lost:
                    self.lost = True
                    log.error(
                        "another calea-bot took over the lease on %s (this one was silent "
                        "longer than %gs); two instances may now be running",
                        self.path,
                        self.ttl,
                    )
            except Exception:  # noqa: BLE001 - a busy database: try again next beat
                log.warning("could not refresh the database lease", exc_info=True)

    def _conn(self):
        if self._db is None:
            self._db = open_database(self.path)
        return self._db
