"""Destinations (where alerts go) and their topic subscriptions."""

from __future__ import annotations

import datetime as dt

import sqlite_utils

from bot.models import Destination, Subscription
from bot.store.database import iso, transaction


def destination_from_row(row: dict, *, id_column: str = "id") -> Destination:
    """A Destination from a row of `destinations` (or a join naming its id `id_column`)."""
    return Destination(
        id=row[id_column],
        platform=row["platform"],
        address=row["address"],
        name=row["name"],
        paused_reason=row["paused_reason"],
    )


class Subscriptions:
    """Reads and writes destinations and subscriptions."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def ensure_destination(
        self, platform: str, address: str, name: str = "", *, now: dt.datetime
    ) -> Destination:
        """Return the destination for (platform, address), creating it if needed."""
        with transaction(self.db):
            self.db.execute(
                "INSERT INTO destinations (platform, address, name, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (platform, address) DO NOTHING",
                [platform, address, name, iso(now)],
            )
        return self.destination(platform, address)

    def destination(self, platform: str, address: str) -> Destination:
        """Look up a destination by platform and address (KeyError if absent)."""
        rows = list(
            self.db.query(
                "SELECT * FROM destinations WHERE platform = ? AND address = ?", [platform, address]
            )
        )
        if not rows:
            raise KeyError(f"{platform}:{address}")
        return destination_from_row(rows[0])

    def destinations(self) -> list[Destination]:
        """Every destination, oldest first."""
        return [
            destination_from_row(r) for r in self.db.query("SELECT * FROM destinations ORDER BY id")
        ]

    def subscribe(
        self,
        destination_id: int,
        topics: list[str],
        *,
        mode: str = "realtime",
        by: str | None = None,
        now: dt.datetime,
    ) -> None:
        """Subscribe a destination to topics (re-subscribing changes the mode).

        Hand-written upsert: a re-subscription changes the mode and keeps who subscribed first
        and when (sqlite-utils' upsert would overwrite those).
        """
        with transaction(self.db):
            self.db.executemany(
                "INSERT INTO subscriptions (destination_id, topic, mode, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (destination_id, topic) "
                "DO UPDATE SET mode = excluded.mode",
                [(destination_id, t, mode, iso(now), by) for t in topics],
            )

    def unsubscribe(self, destination_id: int, topics: list[str] | None = None) -> int:
        """Remove some (or, with None, all) of a destination's subscriptions; return how many."""
        with transaction(self.db):
            if topics is None:
                cursor = self.db.execute(
                    "DELETE FROM subscriptions WHERE destination_id = ?", [destination_id]
                )
            else:
                marks = ",".join("?" * len(topics))
                cursor = self.db.execute(
                    f"DELETE FROM subscriptions WHERE destination_id = ? AND topic IN ({marks})",
                    [destination_id, *topics],
                )
        return cursor.rowcount

    def all(self) -> list[Subscription]:
        """Every subscription of every destination (the alert policy routes by them)."""
        rows = self.db.execute("SELECT destination_id, topic, mode FROM subscriptions")
        return [Subscription(*row) for row in rows.fetchall()]

    def of(self, destination_id: int) -> list[Subscription]:
        """A destination's subscriptions, by topic."""
        return [
            Subscription(r["destination_id"], r["topic"], r["mode"])
            for r in self.db.query(
                "SELECT * FROM subscriptions WHERE destination_id = ? ORDER BY topic",
                [destination_id],
            )
        ]

    def pause(self, destination_id: int, reason: str, *, now: dt.datetime) -> None:
        """Stop delivering to a destination (its alerts stay queued) and keep the reason."""
        with transaction(self.db):
            self.db.execute(
                "UPDATE destinations SET paused_reason = ?, paused_at = ? WHERE id = ?",
                [reason, iso(now), destination_id],
            )

    def resume(self, destination_id: int) -> None:
        """Deliver to a paused destination again."""
        with transaction(self.db):
            self.db.execute(
                "UPDATE destinations SET paused_reason = NULL, paused_at = NULL WHERE id = ?",
                [destination_id],
            )
