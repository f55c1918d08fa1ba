"""The outbox: one row per alert × destination × revision, drained by the sinks.

Rows move pending → sending → sent, or back to pending with a later `next_attempt_at` (retry),
or to failed (permanent error, reason kept). A claim is written before a sink is called, so a
crash leaves the row in `sending`: a single instance hands such rows back at start
(`recover_in_flight`); among replicas, the next one to claim the destination gets them marked
`in_flight` once the dead replica's claim on it has expired (`claim_due`). The UNIQUE
constraint means re-running a cycle can never queue the same alert twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence

import sqlite_utils

from bot.alerts.policy import QueuedAlert
from bot.feeds.ecfs import FILING_DOC_TYPE
from bot.models import Alert, ClaimedAlert, DeliveryOutcome, KeyDate, TopicMatch
from bot.store.database import from_iso, iso, transaction
from bot.store.deadlines import Deadlines
from bot.store.subscriptions import destination_from_row

#: This process, as the claimer of destinations (host, pid and a random part).
REPLICA_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
#: A replica's claim on a destination lasts this long unless extended while it still sends.
CLAIM_SECONDS = 60.0


class Outbox:
    """Queues alerts for subscribed destinations and tracks their delivery."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        *,
        replica: str = REPLICA_ID,
        claim_seconds: float = CLAIM_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.replica = replica  # who claims: one id per process (tests make several)
        self.claim_seconds = claim_seconds
        self.clock = clock

    # -- queueing (called inside the poll's transaction) ----------------------------------

    def enqueue(self, alerts: Sequence[QueuedAlert], now: dt.datetime) -> int:
        """Write the rows the alert policy decided; an alert already queued is not added again.

        An update whose first alert is still queued here is skipped: that alert is rendered
        from the item's current content when it goes out.
        """
        if not alerts:
            return 0
        cursor = self.db.executemany(
            "INSERT INTO outbox "
            "(event_id, destination_id, action, revision, next_attempt_at, created_at, digest, "
            "reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                (
                    a.event_id,
                    a.destination_id,
                    a.action,
                    a.revision,
                    iso(a.due_at),
                    iso(now),
                    a.digest,
                    a.reason,
                )
                for a in alerts
            ],
        )
        return cursor.rowcount

    def posted_to(self, event_ids: Sequence[int]) -> dict[int, list[int]]:
        """Event → destinations it was posted (or is being posted) to: they get its updates."""
        found: dict[int, list[int]] = {}
        for start in range(0, len(event_ids), 400):
            chunk = list(event_ids[start : start + 400])
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT DISTINCT event_id, destination_id FROM outbox "
                f"WHERE event_id IN ({marks}) AND state IN ('sent', 'sending') "
                "AND reminder_id IS NULL",
                chunk,
            )
            for event_id, destination_id in rows.fetchall():
                found.setdefault(event_id, []).append(destination_id)
        return found

    # -- draining -------------------------------------------------------------------------

    def claim_due(
        self,
        now: dt.datetime,
        *,
        platforms: Sequence[str],
        limit: int = 1000,
        per_destination: int = 100,
        max_destinations: int = 200,
    ) -> list[ClaimedAlert]:
        """Claim destinations with due alerts for this replica, mark their due rows sending
        and return them, oldest first.

        A destination is claimed whole (until `claim_seconds` from now, see `extend_claims`):
        one replica serves a channel at a time, so pacing holds and nothing goes out twice.
        Rows another replica left `sending` (it died) come back with `in_flight` set, for the
        sink to confirm before posting again. At most `per_destination` rows per destination
        (so a burst reaches a sink as one batch it can group) and `limit` in all. Paused
        destinations keep their rows pending until resumed. On PostgreSQL the destinations are
        locked with FOR UPDATE SKIP LOCKED, so replicas claiming at once never wait or collide.
        """
        if not platforms:
            return []
        marks = ",".join("?" * len(platforms))
        wall = self.clock()
        lock = " FOR UPDATE OF d SKIP LOCKED" if self.db.dialect == "postgres" else ""
        with transaction(self.db):
            taken = self.db.execute(
                "SELECT d.id, d.last_sent_at FROM destinations d "
                f"WHERE d.platform IN ({marks}) AND d.paused_reason IS NULL "
                "AND (d.claimed_by IS NULL OR d.claim_until < ?) "
                "AND EXISTS (SELECT 1 FROM outbox o WHERE o.destination_id = d.id AND "
                "(o.state = 'sending' OR (o.state = 'pending' AND o.next_attempt_at <= ?))) "
                f"ORDER BY d.id LIMIT ?{lock}",
                [*platforms, wall, iso(now), max_destinations],
            ).fetchall()
            if not taken:
                return []
            last_sent = dict(taken)
            dest_marks = ",".join("?" * len(taken))
            self.db.execute(
                "UPDATE destinations SET claimed_by = ?, claim_until = ? "
                f"WHERE id IN ({dest_marks})",
                [self.replica, wall + self.claim_seconds, *last_sent],
            )
            orphan_rows = self.db.execute(
                "SELECT id, destination_id FROM outbox WHERE state = 'sending' "
                f"AND destination_id IN ({dest_marks}) ORDER BY id",
                list(last_sent),
            ).fetchall()
            due_rows = self.db.execute(
                "SELECT id, destination_id FROM (SELECT id, destination_id, row_number() OVER "
                "(PARTITION BY destination_id ORDER BY id) AS n FROM outbox "
                f"WHERE state = 'pending' AND next_attempt_at <= ? "
                f"AND destination_id IN ({dest_marks})) AS due "
                "WHERE n <= ? ORDER BY id LIMIT ?",
                [iso(now), *last_sent, per_destination, limit],
            ).fetchall()
            orphans = [row[0] for row in orphan_rows]
            ids = [row[0] for row in due_rows]
            if ids:
                id_marks = ",".join("?" * len(ids))
                self.db.execute(
                    "UPDATE outbox SET state = 'sending', claimed_at = ?, attempts = attempts + 1 "
                    f"WHERE id IN ({id_marks})",
                    [iso(now), *ids],
                )
            served = {row[1] for row in (*orphan_rows, *due_rows)}
            self._unclaim([d for d in last_sent if d not in served])
        try:
            claimed = [
                dataclasses.replace(c, in_flight=True) for c in self._load_many(orphans, now)
            ] + self._load_many(ids, now)
        except BaseException:
            self.release(ids)
            raise
        claimed.sort(key=lambda c: c.alert.outbox_id)
        return [
            dataclasses.replace(c, last_sent_at=last_sent.get(c.destination.id)) for c in claimed
        ]

    def _unclaim(self, destination_ids: list[int]) -> None:
        """Give back destinations claimed but left without rows (`limit` ran out first)."""
        if destination_ids:
            self.db.execute(
                "UPDATE destinations SET claimed_by = NULL, claim_until = NULL "
                f"WHERE claimed_by = ? AND id IN ({_marks(destination_ids)})",
                [self.replica, *destination_ids],
            )

    def extend_claims(self, destination_ids: Sequence[int]) -> int:
        """Keep this replica's claims on these destinations alive while it still sends."""
        if not destination_ids:
            return 0
        marks = ",".join("?" * len(destination_ids))
        return self.db.execute(
            f"UPDATE destinations SET claim_until = ? WHERE claimed_by = ? AND id IN ({marks})",
            [self.clock() + self.claim_seconds, self.replica, *destination_ids],
        ).rowcount

    def release(self, outbox_ids: Sequence[int]) -> None:
        """Hand claimed rows back to the queue (delivery could not run for them), and their
        destinations' claims."""
        if not outbox_ids:
            return
        marks = ",".join("?" * len(outbox_ids))
        with transaction(self.db):
            self.db.execute(
                "UPDATE destinations SET claimed_by = NULL, claim_until = NULL "
                f"WHERE claimed_by = ? AND id IN (SELECT destination_id FROM outbox "
                f"WHERE id IN ({marks}))",
                [self.replica, *outbox_ids],
            )
            self.db.execute(
                f"UPDATE outbox SET state = 'pending' WHERE state = 'sending' AND id IN ({marks})",
                list(outbox_ids),
            )

    def record(
        self,
        outcomes: Sequence[DeliveryOutcome],
        now: dt.datetime,
        claimed: Sequence[ClaimedAlert] = (),
        *,
        release: bool = True,
    ) -> None:
        """Apply what the sinks reported (see DeliveryOutcome) in one transaction.

        A first post on a proceeding becomes that destination's thread for it. With `release`
        this replica's claims on the destinations end too (pass False while the round of a
        destination is still going: `release_claims` at its end).
        """
        by_id = {c.alert.outbox_id: c for c in claimed}
        with transaction(self.db):
            if release:
                self._release_destinations(outcomes)
            for outcome in outcomes:
                entry = by_id.get(outcome.outbox_id)
                if outcome.status == "sent":
                    self._mark_sent(outcome, entry, now)
                elif outcome.status == "retry":
                    attempts = entry.attempts if entry else 1
                    backoff = min(3600.0, 30.0 * 2 ** max(0, attempts - 1))
                    delay = max(1.0, outcome.retry_after_seconds or backoff)
                    self._back_to_pending(outcome, now + dt.timedelta(seconds=delay))
                elif outcome.status == "pause":
                    self._back_to_pending(outcome, now)
                    self.db.execute(
                        "UPDATE destinations SET paused_reason = ?, paused_at = ? "
                        "WHERE id = (SELECT destination_id FROM outbox WHERE id = ?)",
                        [outcome.detail or "paused by the platform", iso(now), outcome.outbox_id],
                    )
                else:
                    self.db.execute(
                        "UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ?",
                        [outcome.detail, outcome.outbox_id],
                    )

    def release_claims(self, outcomes: Sequence[DeliveryOutcome]) -> None:
        """A destination's round is over: end this replica's claims on the destinations of
        these outcomes (stamping when they last got a post)."""
        with transaction(self.db):
            self._release_destinations(outcomes)

    def _release_destinations(self, outcomes: Sequence[DeliveryOutcome]) -> None:
        """Give up this replica's claims on the round's destinations; those that got a post
        remember when (the next replica paces from it)."""
        wall = self.clock()
        for status in ("sent", "other"):
            ids = [o.outbox_id for o in outcomes if (o.status == "sent") == (status == "sent")]
            for start in range(0, len(ids), 400):
                chunk = ids[start : start + 400]
                marks = ",".join("?" * len(chunk))
                stamp = ", last_sent_at = ?" if status == "sent" else ""
                self.db.execute(
                    f"UPDATE destinations SET claimed_by = NULL, claim_until = NULL{stamp} "
                    "WHERE claimed_by = ? AND id IN "
                    f"(SELECT destination_id FROM outbox WHERE id IN ({marks}))",
                    [*([wall] if stamp else []), self.replica, *chunk],
                )

    def _mark_sent(
        self, outcome: DeliveryOutcome, entry: ClaimedAlert | None, now: dt.datetime
    ) -> None:
        self.db.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?, ref = coalesce(?, ref), "
            "last_error = NULL WHERE id = ?",
            [iso(now), outcome.ref, outcome.outbox_id],
        )
        key = entry.alert.thread_key if entry else None
        if key and outcome.ref and entry.thread_ref is None and entry.alert.action == "new":
            self.db.execute(
                "INSERT INTO threads (destination_id, thread_key, ref, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [entry.destination.id, key, outcome.ref, iso(now)],
            )

    def _back_to_pending(self, outcome: DeliveryOutcome, when: dt.datetime) -> None:
        self.db.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ? WHERE id = ?",
            [iso(when), outcome.detail, outcome.outbox_id],
        )

    def in_flight(self) -> list[ClaimedAlert]:
        """Alerts a crash left in `sending`: a sink may know whether they went out."""
        ids = [
            row[0]
            for row in self.db.execute(
                "SELECT id FROM outbox WHERE state = 'sending' ORDER BY id"
            ).fetchall()
        ]
        return self._load_many(ids)

    def recover_in_flight(self) -> int:
        """Put rows left in `sending` by a crash back to pending; return how many.

        Delivery is at-least-once for these rows only: a sink that can check whether its post
        landed (Slack message metadata) confirms it before posting again. Only for a single
        instance (SQLite's lease): it also drops every destination claim. Replicas on
        PostgreSQL never call it; `claim_due` hands a dead replica's rows over instead.
        """
        with transaction(self.db):
            cursor = self.db.execute("UPDATE outbox SET state = 'pending' WHERE state = 'sending'")
            self.db.execute("UPDATE destinations SET claimed_by = NULL, claim_until = NULL")
        return cursor.rowcount

    def counts(self) -> dict[str, int]:
        """Rows per state, for status."""
        rows = self.db.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall()
        return dict(rows)

    # -- loading --------------------------------------------------------------------------

    def _load_many(
        self, outbox_ids: Sequence[int], now: dt.datetime | None = None
    ) -> list[ClaimedAlert]:
        """Claimed rows ready for a sink, in the order given: a handful of queries for the
        whole batch (not several per alert — a burst claims thousands at once)."""
        rows: dict[int, dict] = {}
        for chunk in _chunks(outbox_ids):
            for row in self.db.query(
                "SELECT o.*, d.platform, d.address, d.name, d.paused_reason, d.workspace "
                "FROM outbox o JOIN destinations d ON d.id = o.destination_id "
                f"WHERE o.id IN ({_marks(chunk)})",
                list(chunk),
            ):
                rows[row["id"]] = row
        events = sorted({r["event_id"] for r in rows.values() if r["reminder_id"] is None})
        destinations = sorted({r["destination_id"] for r in rows.values()})
        items, also_in = _primary_items(self.db, events)
        first_ref: dict[tuple[int, int], str] = {}
        first_reason: dict[tuple[int, int], str] = {}
        for chunk in _chunks(sorted({r["event_id"] for r in rows.values()})):
            for event_id, destination_id, ref, reason, reminder in self.db.execute(
                "SELECT event_id, destination_id, ref, reason, reminder_id FROM outbox "
                f"WHERE event_id IN ({_marks(chunk)}) AND destination_id IN "
                f"({_marks(destinations)}) ORDER BY revision, id",
                [*chunk, *destinations],
            ).fetchall():
                pair = (event_id, destination_id)
                if ref is not None and reminder is None:
                    first_ref.setdefault(pair, ref)
                if reason:
                    first_reason.setdefault(pair, reason)
        threads = (
            {
                (destination_id, key): ref
                for destination_id, key, ref in self.db.execute(
                    "SELECT destination_id, thread_key, ref FROM threads "
                    f"WHERE destination_id IN ({_marks(destinations)})",
                    destinations,
                ).fetchall()
            }
            if destinations
            else {}
        )
        today = (now or dt.datetime.now(dt.UTC)).date()
        loaded = []
        for outbox_id in outbox_ids:
            row = rows[outbox_id]
            pair = (row["event_id"], row["destination_id"])
            if row["reminder_id"] is not None:  # a deadline reminder (bot.store.deadlines)
                alert = Deadlines(self.db).reminder_alert(row["reminder_id"], outbox_id, today)
            else:
                alert = alert_from_item(
                    items[row["event_id"]],
                    also_in.get(row["event_id"], ()),
                    outbox_id,
                    row["action"],
                    row["revision"],
                )
            reason = row["reason"] or first_reason.get(pair, "")
            if reason:
                alert = dataclasses.replace(alert, reason=reason)
            thread = threads.get((row["destination_id"], alert.thread_key))
            loaded.append(
                ClaimedAlert(
                    destination=destination_from_row(row, id_column="destination_id"),
                    alert=alert,
                    attempts=row["attempts"],
                    ref=first_ref.get(pair),
                    thread_ref=thread if alert.thread_key else None,
                    digest=bool(row["digest"]),
                    queued_at=from_iso(row["created_at"]),
                )
            )
        return loaded


_CHUNK = 400  # bound parameters per statement, far below either database's limit
_ITEM_COLUMNS = (
    "i.source_id, i.title, i.link, i.published, i.topics, i.dockets, i.documents, i.dates, "
    "i.summary, i.matters, i.doc_type"
)


def _chunks(values: Sequence) -> list[Sequence]:
    return [values[start : start + _CHUNK] for start in range(0, len(values), _CHUNK)]


def _marks(values: Sequence) -> str:
    return ",".join("?" * len(values))


def _primary_items(db, event_ids: Sequence[int]) -> tuple[dict[int, dict], dict[int, tuple]]:
    """Each event's primary item row, and the other sources that reported it (first first)."""
    items: dict[int, dict] = {}
    also_in: dict[int, list[str]] = {}
    for chunk in _chunks(event_ids):
        for row in db.query(
            f"SELECT e.id AS event_key, {_ITEM_COLUMNS} FROM events e "
            f"JOIN items i ON i.id = e.primary_item_id WHERE e.id IN ({_marks(chunk)})",
            list(chunk),
        ):
            items[row["event_key"]] = row
        for event_id, source_id in db.execute(
            "SELECT event_id, source_id FROM items "
            f"WHERE event_id IN ({_marks(chunk)}) GROUP BY event_id, source_id "
            "ORDER BY event_id, min(id)",
            list(chunk),
        ).fetchall():
            if source_id != items[event_id]["source_id"]:
                also_in.setdefault(event_id, []).append(source_id)
    return items, {event: tuple(sources) for event, sources in also_in.items()}


def load_alert(
    db: sqlite_utils.Database, event_id: int, outbox_id: int = 0, action: str = "new", revision=1
) -> Alert:
    """Build the Alert a sink renders from an event's primary item and its 'also in' sources."""
    items, also_in = _primary_items(db, [event_id])
    return alert_from_item(items[event_id], also_in.get(event_id, ()), outbox_id, action, revision)


def alert_from_item(
    item: dict, also_in: Sequence[str], outbox_id: int, action: str, revision: int
) -> Alert:
    """The Alert for an event from its primary item's row (see `_ITEM_COLUMNS`)."""
    return Alert(
        outbox_id=outbox_id,
        event_id=item["event_key"],
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
        filing=item["doc_type"] == FILING_DOC_TYPE,
    )
