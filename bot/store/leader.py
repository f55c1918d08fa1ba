"""Leader election on PostgreSQL: exactly one `calea-bot run` replica schedules the polls.

The leader holds a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its
own, outside any pool, with TCP keepalives both ways. Postgres drops the lock the moment that
session ends: the process exits or is killed (kill -9 included: the kernel closes the socket), a
DBA runs pg_terminate_backend, or, for a dead host or network, once the server's keepalives
give up (about 25 s with the settings below). A standby retries every `retry_seconds`; the
leader checks every `check_seconds` that its session still holds the lock, and steps down at
once (logged as an error) when it does not or when the connection is gone, then goes back to
trying. Between the lock being dropped and the old leader noticing, both may believe they lead:
up to `check_seconds` when the session ends on the server's side, and a few seconds when the
network between them fails (both sides' keepalives give up after about the same 25 s). What the
leader schedules must tolerate such a short overlap.

The connection must be a direct session to the server (or a session-mode pooler): a
transaction-mode pooler such as PgBouncer's would drop or share the lock.

Each election connection is named `calea-bot <host> <pid>` (application_name), so a standby can
tell who leads from pg_locks joined with pg_stat_activity (`current_leader()`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from bot.store.postgres import translate

log = logging.getLogger(__name__)

DEFAULT_NAME = "calea-bot:poll-leader"
DEFAULT_RETRY_SECONDS = 5.0
DEFAULT_CHECK_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 10
APPLICATION_PREFIX = "calea-bot"

#: libpq keepalives (client side) and the server's own for this session: a vanished peer is
#: noticed in about idle + interval * count = 25 s, well inside a minute.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 25_000,
}
SERVER_OPTIONS = (
    "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3 "
    "-c tcp_user_timeout=25000 -c statement_timeout=10000"
)

_HELD_SQL = """
SELECT count(*) FROM pg_locks
WHERE pid = pg_backend_pid() AND granted AND locktype = 'advisory'
  AND classid = %s::bigint::oid AND objid = %s::bigint::oid AND objsubid = 1
"""
#: Who holds an election's lock in this database: (backend pid, application_name). Written
#: for the store's `?` placeholders too (bot.store.health reads it through PgDatabase).
HOLDER_SQL = """
SELECT a.pid, a.application_name
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.database = (
    SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = ?::bigint::oid AND l.objid = ?::bigint::oid AND l.objsubid = 1
"""


def lock_key(name: str) -> int:
    """The advisory lock key (a signed 64-bit integer) for an election name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def key_parts(key: int) -> tuple[int, int]:
    """The (classid, objid) pair pg_locks shows for a 64-bit advisory lock key."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    return unsigned >> 32, unsigned & 0xFFFF_FFFF


@dataclass(frozen=True)
class LeaderInfo:
    """Who holds the lock: the server's backend pid and the holder's application_name."""

    backend_pid: int
    application_name: str

    @property
    def host(self) -> str | None:
        """The leader's host, if its connection is named `calea-bot <host> <pid>`."""
        parts = self.application_name.split(" ")
        return parts[1] if len(parts) == 3 and parts[0] == APPLICATION_PREFIX else None

    @property
    def pid(self) -> int | None:
        """The leader's process id, as its connection name says."""
        parts = self.application_name.split(" ")
        ok = len(parts) == 3 and parts[0] == APPLICATION_PREFIX and parts[2].isdigit()
        return int(parts[2]) if ok else None

    def __str__(self) -> str:
        if self.pid is not None:
            return f"pid {self.pid} on host {self.host}"
        return f"backend {self.backend_pid} ({self.application_name or 'unnamed'})"


class PgLeaderElection:
    """One replica's part in the election: `start()` it, read `is_leader`, `release()` it."""

    def __init__(
        self,
        url: str,
        *,
        name: str = DEFAULT_NAME,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        check_seconds: float = DEFAULT_CHECK_SECONDS,
        on_elected: Callable[[], None] | None = None,
        on_demoted: Callable[[], None] | None = None,
    ) -> None:
        if retry_seconds <= 0 or check_seconds <= 0:
            raise ValueError("retry_seconds and check_seconds must be positive")
        self.url = url
        self.name = name
        self.key = lock_key(name)
        self.retry_seconds = retry_seconds
        self.check_seconds = check_seconds
        self.on_elected = on_elected
        self.on_demoted = on_demoted
        self.identity = f"{APPLICATION_PREFIX} {socket.gethostname()} {os.getpid()}"[:63]
        self._conn: psycopg.Connection | None = None
        self._leader = False
        self._last_seen: LeaderInfo | None = None
        self._unreachable = False
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._events: list[Callable[[], None] | None] = []
        self._fire_lock = threading.RLock()

    @property
    def is_leader(self) -> bool:
        """Whether this replica held the lock at its last attempt or check."""
        return self._leader

    def try_acquire(self) -> bool:
        """One attempt to take the lock (True if this replica leads, now or already)."""
        with self._lock:
            result = self._check() if self._leader else self._acquire()
        self._fire()
        return result

    def check(self) -> bool:
        """For the leader: still holding the lock? Steps down at once when not."""
        with self._lock:
            result = self._check()
        self._fire()
        return result

    def current_leader(self) -> LeaderInfo | None:
        """Who holds the lock in this database now (None if nobody, or unreachable)."""
        with self._lock:
            try:
                row = (
                    self._connection()
                    .execute(translate(HOLDER_SQL), key_parts(self.key))
                    .fetchone()
                )
            except psycopg.Error:
                self._close()
                return None
        return LeaderInfo(row[0], row[1]) if row else None

    def start(self) -> PgLeaderElection:
        """Try once now, then keep trying (standby) or checking (leader) in a daemon thread."""
        self.try_acquire()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="leader-election", daemon=True)
        self._thread.start()
        return self

    def release(self) -> None:
        """Stop the thread, give the lock up and close the connection (on_demoted if leading)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.retry_seconds + self.check_seconds + 15)
        with self._lock:
            was_leader = self._leader
            self._leader = False
            if was_leader and self._conn is not None:
                # Closing the session below drops the lock anyway.
                with contextlib.suppress(psycopg.Error):
                    self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            self._close()
            if was_leader:
                log.info("leader election: this process (%s) released %r", self.identity, self.name)
                self._events.append(self.on_demoted)
        self._fire()

    def __enter__(self) -> PgLeaderElection:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _run(self) -> None:
        while not self._stop.wait(self.check_seconds if self._leader else self.retry_seconds):
            try:
                if self._leader:
                    self.check()
                else:
                    self.try_acquire()
            except Exception:  # noqa: BLE001 - the election must outlive any surprise
                log.exception("leader election: unexpected error; trying again")

    def _acquire(self) -> bool:
        try:
            conn = self._connection()
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0]
        except psycopg.Error as e:
            # Once per outage, not at every retry.
            level = logging.DEBUG if self._unreachable else logging.WARNING
            log.log(level, "leader election: cannot reach the database: %s", _one_line(e))
            self._unreachable = True
            self._close()
            return False
        self._unreachable = False
        if got:
            self._leader = True
            self._last_seen = None
            log.info("leader election: this process (%s) now leads %r", self.identity, self.name)
            self._events.append(self.on_elected)
        else:
            self._note_leader()
        return got

    def _check(self) -> bool:
        if not self._leader:
            return False
        try:
            held = self._connection().execute(_HELD_SQL, key_parts(self.key)).fetchone()[0]
        except psycopg.Error as e:
            self._step_down(f"its database connection was lost ({_one_line(e)})")
            return False
        if not held:
            self._step_down("its session no longer holds the lock")
        return bool(held)

    def _fire(self) -> None:
        """Run the callbacks queued by attempts and checks, in order, outside the lock."""
        with self._fire_lock:
            while True:
                with self._lock:
                    if not self._events:
                        return
                    callback = self._events.pop(0)
                if callback is None:
                    continue
                try:
                    callback()
                except Exception:  # noqa: BLE001 - a failing callback must not stop the election
                    log.exception("leader election: callback %r raised", callback)

    def _step_down(self, why: str) -> None:
        self._leader = False
        self._close()
        log.error(
            "leader election: this process (%s) stepped down from %r: %s",
            self.identity,
            self.name,
            why,
        )
        self._events.append(self.on_demoted)

    def _note_leader(self) -> None:
        """Log the current leader when it differs from the one last seen."""
        info = self.current_leader()
        if info is not None and info != self._last_seen:
            log.info("leader election: standing by; %r is led by %s", self.name, info)
        self._last_seen = info

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self.url,
                autocommit=True,
                application_name=self.identity,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                options=SERVER_OPTIONS,
                **KEEPALIVES,
            )
        return self._conn

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
