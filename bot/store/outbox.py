"""The outbox: one row per alert × destination × revision, drained by the sinks.

Rows move pending → sending → sent, or back to pending with a later `next_attempt_at` (retry),
or to failed (permanent error, reason kept). A claim is written before a sink is called, so a
crash leaves the row in `sending`; `recover_in_flight` hands such rows back. The UNIQUE
constraint means re-running a cycle can never queue the same alert twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from bot.models import Alert, DeliveryOutcome, Destination, KeyDate, TopicMatch
from bot.store.database import from_iso, iso, transaction


@dataclass(frozen=True)
class ClaimedAlert:
    """An outbox row claimed for delivery, with its destination and the rendered-ready alert."""

    destination: Destination
    alert: Alert
    attempts: int
    ref: str | None = None  # the platform reference of the first post, for edits and threads


def _destination(row: dict) -> Destination:
    return Destination(
        id=row["destination_id"],
        platform=row["platform"],
        address=row["address"],
        name=row["name"],
        paused_reason=row["paused_reason"],
    )


class Outbox:
    """Queues alerts for subscribed destinations and tracks their delivery."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    # -- queueing (called inside the ingest transaction) ----------------------------------

    def queue_new(self, event_id: int, topics: Sequence[str], now: dt.datetime) -> int:
        """Queue a first alert for every destination subscribed to one of `topics` (or '*')."""
        wanted = [*topics, "*"]
        marks = ",".join("?" * len(wanted))
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO outbox "
            "(event_id, destination_id, action, revision, next_attempt_at, created_at) "
            "SELECT DISTINCT ?, destination_id, 'new', 1, ?, ? FROM subscriptions "
            f"WHERE topic IN ({marks})",
            [event_id, iso(now), iso(now), *wanted],
        )
        return cursor.rowcount

    def queue_update(self, event_id: int, revision: int, now: dt.datetime) -> int:
        """Queue an edit of an already queued or sent alert, for each destination that has it."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO outbox "
            "(event_id, destination_id, action, revision, next_attempt_at, created_at) "
            "SELECT DISTINCT event_id, destination_id, 'update', ?, ?, ? FROM outbox "
            "WHERE event_id = ? AND state != 'failed'",
            [revision, iso(now), iso(now), event_id],
        )
        return cursor.rowcount

    # -- draining -------------------------------------------------------------------------

    def claim_due(
        self, now: dt.datetime, *, platforms: Sequence[str], limit: int = 100
    ) -> list[ClaimedAlert]:
        """Mark up to `limit` due rows for the given platforms as sending and return them.

        Destinations that are paused keep their rows pending until resumed.
        """
        if not platforms:
            return []
        marks = ",".join("?" * len(platforms))
        with transaction(self.db):
            ids = [
                row[0]
                for row in self.db.execute(
                    "SELECT outbox.id FROM outbox JOIN destinations d ON d.id = destination_id "
                    f"WHERE state = 'pending' AND next_attempt_at <= ? AND d.platform IN ({marks}) "
                    "AND d.paused_reason IS NULL ORDER BY outbox.id LIMIT ?",
                    [iso(now), *platforms, limit],
                ).fetchall()
            ]
            id_marks = ",".join("?" * len(ids))
            if ids:
                self.db.execute(
                    "UPDATE outbox SET state = 'sending', claimed_at = ?, attempts = attempts + 1 "
                    f"WHERE id IN ({id_marks})",
                    [iso(now), *ids],
                )
        return [self._load(outbox_id) for outbox_id in ids]

    def record(self, outcomes: Sequence[DeliveryOutcome], now: dt.datetime) -> None:
        """Apply what the sinks reported: sent, retry later, or failed for good."""
        with transaction(self.db):
            for outcome in outcomes:
                if outcome.status == "sent":
                    self.db.execute(
                        "UPDATE outbox SET state = 'sent', sent_at = ?, ref = ?, last_error = NULL "
                        "WHERE id = ?",
                        [iso(now), outcome.ref, outcome.outbox_id],
                    )
                elif outcome.status == "retry":
                    delay = max(1.0, outcome.retry_after_seconds or 30.0)
                    self.db.execute(
                        "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ? "
                        "WHERE id = ?",
                        [iso(now + dt.timedelta(seconds=delay)), outcome.detail, outcome.outbox_id],
                    )
                else:
                    self.db.execute(
                        "UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ?",
                        [outcome.detail, outcome.outbox_id],
                    )

    def recover_in_flight(self) -> int:
        """Put rows left in `sending` by a crash back to pending; return how many.

        Delivery is at-least-once for these rows only: a sink that can check whether its post
        landed (Slack message metadata) confirms it before posting again.
        """
        with transaction(self.db):
            cursor = self.db.execute("UPDATE outbox SET state = 'pending' WHERE state = 'sending'")
        return cursor.rowcount

    def counts(self) -> dict[str, int]:
        """Rows per state, for status."""
        rows = self.db.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall()
        return dict(rows)

    # -- loading --------------------------------------------------------------------------

    def _load(self, outbox_id: int) -> ClaimedAlert:
        row = next(
            self.db.query(
                "SELECT o.*, d.platform, d.address, d.name, d.paused_reason, "
                "e.primary_item_id FROM outbox o JOIN destinations d ON d.id = o.destination_id "
                "JOIN events e ON e.id = o.event_id WHERE o.id = ?",
                [outbox_id],
            )
        )
        first_ref = self.db.execute(
            "SELECT ref FROM outbox WHERE event_id = ? AND destination_id = ? AND ref IS NOT NULL "
            "ORDER BY revision LIMIT 1",
            [row["event_id"], row["destination_id"]],
        ).fetchone()
        return ClaimedAlert(
            destination=_destination(row),
            alert=load_alert(self.db, row["event_id"], outbox_id, row["action"], row["revision"]),
            attempts=row["attempts"],
            ref=first_ref[0] if first_ref else None,
        )


def load_alert(
    db: sqlite_utils.Database, event_id: int, outbox_id: int = 0, action: str = "new", revision=1
) -> Alert:
    """Build the Alert a sink renders from an event's primary item and its 'also in' sources."""
    item = next(
        db.query(
            "SELECT i.* FROM items i JOIN events e ON e.primary_item_id = i.id WHERE e.id = ?",
            [event_id],
        )
    )
    also_in = [
        row[0]
        for row in db.execute(
            "SELECT DISTINCT source_id FROM items WHERE event_id = ? AND source_id != ? "
            "ORDER BY id",
            [event_id, item["source_id"]],
        ).fetchall()
    ]
    return Alert(
        outbox_id=outbox_id,
        event_id=event_id,
        action=action,
        revision=revision,
        source_name=item["source_id"],
        title=item["title"],
        link=item["link"],
        published=from_iso(item["published"]),
        topics=tuple(TopicMatch(t, r) for t, r in json.loads(item["topics"])),
        dockets=tuple(json.loads(item["dockets"])),
        documents=tuple(json.loads(item["documents"])),
        dates=tuple(KeyDate(k, dt.date.fromisoformat(d)) for k, d in json.loads(item["dates"])),
        summary=item["summary"],
        also_in=tuple(also_in),
        matters=tuple(json.loads(item["matters"])),
    )
