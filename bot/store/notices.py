"""Admin notices (a source broke or recovered): a tiny outbox of plain-text messages.

A notice is queued in the same transaction as the poll that caused it, once per key
(UNIQUE), and moves pending → sending → sent (or back to pending with a later attempt).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from bot.store.database import iso, transaction


@dataclass(frozen=True)
class Notice:
    """One queued admin message."""

    id: int
    platform: str
    address: str
    text: str
    attempts: int


#: A notice left `sending` this long by a replica is taken over by another.
STALE_CLAIM_SECONDS = 300.0


class Notices:
    """Queue, claim and settle admin notices."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def enqueue(
        self, targets: Sequence[tuple[str, str]], key: str, text: str, now: dt.datetime
    ) -> int:
        """Queue `text` for each (platform, address) unless `key` was queued there already."""
        cursor = self.db.executemany(
            "INSERT INTO notices (platform, address, key, text, next_attempt_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(platform, address, key, text, iso(now), iso(now)) for platform, address in targets],
        )
        return cursor.rowcount

    def claim_due(self, now: dt.datetime, platforms: Sequence[str]) -> list[Notice]:
        """Mark due notices of these platforms as sending and return them, oldest first."""
        if not platforms:
            return []
        marks = ",".join("?" * len(platforms))
        lock = " FOR UPDATE SKIP LOCKED" if self.db.dialect == "postgres" else ""
        wall = time.time()
        with transaction(self.db):
            # A notice another replica claimed and never settled (it died) is due again.
            rows = self.db.execute(
                "SELECT id, platform, address, text, attempts FROM notices "
                "WHERE ((state = 'pending' AND next_attempt_at <= ?) "
                "OR (state = 'sending' AND claimed_at < ?)) "
                f"AND platform IN ({marks}) ORDER BY id{lock}",
                [iso(now), wall - STALE_CLAIM_SECONDS, *platforms],
            ).fetchall()
            self.db.executemany(
                "UPDATE notices SET state = 'sending', claimed_at = ?, attempts = attempts + 1 "
                "WHERE id = ?",
                [(wall, row[0]) for row in rows],
            )
        return [Notice(r[0], r[1], r[2], r[3], r[4] + 1) for r in rows]

    def settle(self, notice: Notice, ok: bool, detail: str, now: dt.datetime) -> None:
        """Sent, or back to pending with a backoff (given up after 10 attempts)."""
        if ok:
            self.db.execute(
                "UPDATE notices SET state = 'sent', sent_at = ?, last_error = NULL WHERE id = ?",
                [iso(now), notice.id],
            )
            return
        state = "failed" if notice.attempts >= 10 else "pending"
        later = now + dt.timedelta(seconds=min(3600.0, 30.0 * 2 ** (notice.attempts - 1)))
        self.db.execute(
            "UPDATE notices SET state = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
            [state, iso(later), detail, notice.id],
        )

    def recover_in_flight(self) -> int:
        """Notices a crash left in `sending` go back to the queue."""
        cursor = self.db.execute("UPDATE notices SET state = 'pending' WHERE state = 'sending'")
        return cursor.rowcount

    def all(self) -> list[dict]:
        """Every notice (tests, status)."""
        return list(self.db.query("SELECT * FROM notices ORDER BY id"))
