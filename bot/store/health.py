"""Questions /readyz and /metrics ask the database: writable? outbox depth and age?"""

from __future__ import annotations

import datetime as dt
import sqlite3

import sqlite_utils

from bot.store.database import from_iso, iso


class StoreHealth:
    """Read-mostly checks on the bot's own connection."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def writable(self) -> str | None:
        """None when a write transaction can start now, else why not (one line)."""
        if self.db.dialect == "postgres":
            try:
                with self.db.transaction():
                    if self.db.execute("SHOW transaction_read_only").fetchone()[0] == "on":
                        return "database not writable: the PostgreSQL server is read-only"
            except Exception as exc:  # noqa: BLE001 - any failure means not ready
                return f"database not writable: {str(exc).strip().splitlines()[0]}"
            return None
        try:
            self.db.conn.execute("PRAGMA busy_timeout=2000")
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            return f"database not writable: {exc}"
        return None

    def oldest_due_pending(self, now: dt.datetime) -> dt.datetime | None:
        """When the oldest pending alert of an unpaused destination became due, or None."""
        row = self.db.execute(
            "SELECT min(o.next_attempt_at) FROM outbox o JOIN destinations d "
            "ON d.id = o.destination_id WHERE o.state = 'pending' AND o.next_attempt_at <= ? "
            "AND d.paused_reason IS NULL",
            [iso(now)],
        ).fetchone()
        return from_iso(row[0]) if row and row[0] else None

    def outbox_depth(self) -> dict[tuple[str, str], tuple[int, dt.datetime | None]]:
        """(platform, state) → (rows, oldest created_at) for pending and sending alerts."""
        rows = self.db.execute(
            "SELECT d.platform, o.state, count(*), min(o.created_at) FROM outbox o "
            "JOIN destinations d ON d.id = o.destination_id "
            "WHERE o.state IN ('pending', 'sending') GROUP BY d.platform, o.state"
        ).fetchall()
        return {(r[0], r[1]): (r[2], from_iso(r[3])) for r in rows}

    def poll_leader(self) -> str | None:
        """PostgreSQL: which replica polls ('calea-bot HOST PID'), or 'none' when no replica
        holds the leader lock. None on SQLite (one instance, no election)."""
        if self.db.dialect != "postgres":
            return None
        from bot.store.leader import DEFAULT_NAME, HOLDER_SQL, key_parts, lock_key

        row = self.db.execute(HOLDER_SQL, key_parts(lock_key(DEFAULT_NAME))).fetchone()
        return (row[1] or "a replica") if row else "none"
