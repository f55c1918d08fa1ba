"""Channels' watches (dockets, matters, phrases) and what the store knows about a docket."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlite_utils

from bot.alerts.watches import WatchIndex, phrase_words
from bot.models import Watch
from bot.store.database import iso, transaction
from bot.store.dialect import json_texts
from bot.store.subscriptions import destination_from_row


def match_key(kind: str, value: str) -> str:
    """What makes two watches the same: a phrase's words, else the value itself."""
    return " ".join(phrase_words(value)) if kind == "phrase" else value


@dataclass(frozen=True)
class ListedWatch:
    """A watch with its channel, for `calea-bot watches`."""

    watch: Watch
    platform: str
    address: str
    channel_name: str
    created_at: str
    created_by: str | None

    def to_json(self) -> dict:
        """A JSON-ready dict for --json output."""
        return {
            "platform": self.platform,
            "channel": self.address,
            "channel_name": self.channel_name,
            "kind": self.watch.kind,
            "value": self.watch.value,
            "mode": self.watch.mode,
            "created_at": self.created_at,
            "created_by": self.created_by,
        }


class Watches:
    """Reads and writes watches; hands the alert policy a cached `WatchIndex`."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._index: tuple[tuple[int, int], WatchIndex] | None = None

    def add(
        self, watch: Watch, *, by: str | None = None, now: dt.datetime
    ) -> tuple[bool, str | None]:
        """Add (or change the mode of) a watch; (added, previous mode if it existed)."""
        key = match_key(watch.kind, watch.value)
        with transaction(self.db):
            row = self.db.execute(
                "SELECT id, mode FROM watches WHERE destination_id = ? AND kind = ? "
                "AND match_key = ?",
                [watch.destination_id, watch.kind, key],
            ).fetchone()
            if row is not None:
                if row[1] != watch.mode:  # delete + insert: the index signature changes
                    self.db.execute("DELETE FROM watches WHERE id = ?", [row[0]])
                    self._insert(watch, key, by, now)
                return False, row[1]
            self._insert(watch, key, by, now)
        return True, None

    def _insert(self, watch: Watch, key: str, by: str | None, now: dt.datetime) -> None:
        self.db.execute(
            "INSERT INTO watches (destination_id, kind, value, match_key, mode, created_at, "
            "created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [watch.destination_id, watch.kind, watch.value, key, watch.mode, iso(now), by],
        )

    def remove(self, destination_id: int, kind: str | None, value: str | None) -> int:
        """Remove one watch (or, with kind None, all of a destination's); return how many."""
        with transaction(self.db):
            if kind is None:
                cursor = self.db.execute(
                    "DELETE FROM watches WHERE destination_id = ?", [destination_id]
                )
            else:
                cursor = self.db.execute(
                    "DELETE FROM watches WHERE destination_id = ? AND kind = ? AND match_key = ?",
                    [destination_id, kind, match_key(kind, value or "")],
                )
        return cursor.rowcount

    def of(self, destination_id: int) -> list[Watch]:
        """A destination's watches, by kind and value."""
        rows = self.db.execute(
            "SELECT destination_id, kind, value, mode FROM watches WHERE destination_id = ? "
            "ORDER BY kind, match_key",
            [destination_id],
        )
        return [Watch(*row) for row in rows.fetchall()]

    def count(self, destination_id: int) -> int:
        """How many watches a destination has."""
        return self.db.execute(
            "SELECT count(*) FROM watches WHERE destination_id = ?", [destination_id]
        ).fetchone()[0]

    def all(self) -> list[Watch]:
        """Every watch of every destination."""
        rows = self.db.execute("SELECT destination_id, kind, value, mode FROM watches ORDER BY id")
        return [Watch(*row) for row in rows.fetchall()]

    def listed(self) -> list[ListedWatch]:
        """Every watch with its channel, by channel then kind."""
        rows = self.db.query(
            "SELECT w.*, d.platform, d.address, d.name, d.paused_reason, d.id AS did "
            "FROM watches w JOIN destinations d ON d.id = w.destination_id "
            "ORDER BY d.platform, d.address, w.kind, w.match_key"
        )
        return [
            ListedWatch(
                Watch(row["destination_id"], row["kind"], row["value"], row["mode"]),
                row["platform"],
                row["address"],
                destination_from_row(row, id_column="did").name,
                row["created_at"],
                row["created_by"],
            )
            for row in rows
        ]

    def watched_dockets(self) -> list[str]:
        """Every docket some channel watches, sorted."""
        rows = self.db.execute(
            "SELECT DISTINCT value FROM watches WHERE kind = 'docket' ORDER BY value"
        )
        return [row[0] for row in rows.fetchall()]

    def index(self) -> WatchIndex:
        """Every watch as a `WatchIndex`, rebuilt only when watches changed."""
        signature = self.db.execute("SELECT count(*), coalesce(max(id), 0) FROM watches").fetchone()
        if self._index is None or self._index[0] != tuple(signature):
            self._index = (tuple(signature), WatchIndex.build(self.all()))
        return self._index[1]

    def docket_mentioned(self, docket: str) -> bool:
        """True when any stored item cites this docket."""
        return bool(
            self.db.execute(
                "SELECT 1 FROM items WHERE instr(dockets, ?) > 0 LIMIT 1", [f'"{docket}"']
            ).fetchone()
        )


@dataclass(frozen=True)
class DocketCounts:
    """How many stored items cite a docket, how many are ECFS filings, the newest filing."""

    items: int
    filings: int
    last_filing: str | None


def docket_counts(db: sqlite_utils.Database, docket: str, filing_type: str) -> DocketCounts:
    """Counts for `status docket …` (a scan narrowed by instr; fine for a command)."""
    row = db.execute(
        "SELECT count(*), coalesce(sum(CASE WHEN doc_type = ? THEN 1 ELSE 0 END), 0), "
        "max(CASE WHEN doc_type = ? THEN coalesce(published, first_seen_at) END) FROM items i "
        "WHERE instr(i.dockets, ?) > 0 "
        f"AND EXISTS (SELECT 1 FROM {json_texts(db.dialect, 'i.dockets')} WHERE j.value = ?)",
        [filing_type, filing_type, f'"{docket}"', docket],
    ).fetchone()
    return DocketCounts(row[0], row[1], row[2])
