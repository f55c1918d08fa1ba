"""Dedupe and store one source's analysed items; report which events are new or changed.

The rules, in order:
- per source, an item is the same as a stored one if any of its keys matches (GUID, then
  canonical link, then a hash of title+content). A feed that churns GUIDs still matches by link
  or content, so it cannot cause a repost storm;
- a matched item whose content hash changed is an *update* (a new revision; the alert's message
  is edited, not reposted);
- a new item that shares an identity key (canonical URL, FR or FCC document number) with an
  item from another source joins that item's *event*: one alert per real-world event, "also in"
  the other source;
Which of those changes alert, and to whom, is the alert policy's decision (bot.alerts.policy).
Callers run `ingest`, the policy and the outbox write inside one `transaction(db)` together with
the source's poll state, so a crash stores a feed's items, their alerts and its validators all
together or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import sqlite_utils

from bot.alerts.policy import ChangedEvent, NewEvent, PollChanges
from bot.feeds.ecfs import FILING_DOC_TYPE  # docket filings alert only their watchers
from bot.feeds.public_inspection import PUBLIC_INSPECTION_TYPE
from bot.models import AnalyzedItem, Source
from bot.store.database import iso

_T = TypeVar("_T")
_CHUNK = 400  # stays far below SQLite's bound-parameter limit


@dataclass
class IngestResult:
    """Counts for one source's batch, plus warnings worth showing a human."""

    new: int = 0
    updated: int = 0
    seen: int = 0
    also_in: int = 0
    alerts_queued: int = 0
    quiet: int = 0
    warnings: list[str] = field(default_factory=list)
    changes: PollChanges = field(default_factory=PollChanges)


def _chunks(values: Sequence[_T]) -> Iterable[Sequence[_T]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# Columns written from an analysed item (the rest are bookkeeping).
_ITEM_COLUMNS = (
    "guid", "link", "title", "text", "summary", "published", "updated", "content_hash",
    "topics", "dockets", "documents", "dates", "authors", "categories", "matters", "doc_type",
)  # fmt: skip


def _dumps(value: object) -> str:
    return _ENCODER.encode(value)


def _new_event(event_id: int, analysed: AnalyzedItem) -> NewEvent:
    """What the alert policy needs of a new event: topics, dockets, matters, text."""
    item = analysed.item
    return NewEvent(
        event_id,
        tuple(m.topic for m in analysed.topics),
        item.published,
        dockets=analysed.identifiers.dockets,
        matters=analysed.matters,
        text=f"{item.title}\n{item.text}",
        watch_only=item.doc_type == FILING_DOC_TYPE,
    )


class ItemWriter:
    """Writes analysed items, events and matter events."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def ingest(
        self, source: Source, items: Sequence[AnalyzedItem], *, now: dt.datetime
    ) -> IngestResult:
        """Store a batch from one source; return what was new, updated or already seen."""
        result = IngestResult()
        unique = self._drop_batch_duplicates(items, result)
        known = self._lookup_item_keys(source.id, unique)
        stored = self._load_items(set(known.values()))
        new_items: list[AnalyzedItem] = []
        for analysed in unique:
            item_id = next((known[k] for k in analysed.dedupe_keys if k in known), None)
            if item_id is None:
                new_items.append(analysed)
            elif item_id not in stored or stored[item_id]["content_hash"] == analysed.content_hash:
                result.seen += 1  # (not stored: pruned by retention, its keys kept as tombstones)
            else:
                changed = self._update_item(stored[item_id], analysed, now)
                if changed is not None:
                    result.changes.changed_events.append(changed)
                result.updated += 1
        result.changes.new_events = self._insert_new_items(source, new_items, now, result)
        return result

    # -- matching -------------------------------------------------------------------------

    @staticmethod
    def _drop_batch_duplicates(
        items: Sequence[AnalyzedItem], result: IngestResult
    ) -> list[AnalyzedItem]:
        seen_keys: set[str] = set()
        unique = []
        for analysed in items:
            if seen_keys.intersection(analysed.dedupe_keys):
                result.seen += 1
                continue
            seen_keys.update(analysed.dedupe_keys)
            unique.append(analysed)
        return unique

    def _lookup_item_keys(self, source_id: str, items: Sequence[AnalyzedItem]) -> dict[str, int]:
        keys = [k for analysed in items for k in analysed.dedupe_keys]
        found: dict[str, int] = {}
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT key, item_id FROM item_keys WHERE source_id = ? AND key IN ({marks})",
                [source_id, *chunk],
            )
            found.update(rows.fetchall())
        return found

    def _load_items(self, item_ids: set[int]) -> dict[int, dict]:
        ids = sorted(item_ids)
        loaded: dict[int, dict] = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT items.id, content_hash, items.revision, event_id, primary_item_id "
                f"FROM items JOIN events ON events.id = items.event_id WHERE items.id IN ({marks})"
            )
            for row in self.db.query(sql, list(chunk)):
                loaded[row["id"]] = row
        return loaded

    def _lookup_events(self, items: Sequence[AnalyzedItem]) -> dict[str, int]:
        keys = [k for analysed in items for k in analysed.identity_keys]
        found: dict[str, int] = {}
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT key, event_id FROM event_keys WHERE key IN ({marks})", list(chunk)
            )
            found.update(rows.fetchall())
        return found

    # -- writing --------------------------------------------------------------------------

    @staticmethod
    def _item_values(analysed: AnalyzedItem) -> tuple:
        """The item's columns, in `_ITEM_COLUMNS` order."""
        item, ids = analysed.item, analysed.identifiers
        return (
            item.guid,
            item.link,
            item.title,
            item.text,
            analysed.summary,
            iso(item.published),
            iso(item.updated),
            analysed.content_hash,
            _dumps([[m.topic, m.rule] for m in analysed.topics]),
            _dumps(ids.dockets),
            _dumps(ids.documents()),
            _dumps([[d.kind, d.date.isoformat()] for d in ids.dates]),
            _dumps(item.authors),
            _dumps(item.categories),
            _dumps(analysed.matters),
            item.doc_type,
        )

    def _update_item(
        self, row: dict, analysed: AnalyzedItem, now: dt.datetime
    ) -> ChangedEvent | None:
        """Store a new revision; the event changed when this item is its primary one."""
        revision = row["revision"] + 1
        assignments = ", ".join(f"{name} = ?" for name in _ITEM_COLUMNS)
        self.db.execute(
            f"UPDATE items SET {assignments}, revision = ?, last_changed_at = ? WHERE id = ?",
            [*self._item_values(analysed), revision, iso(now), row["id"]],
        )
        self.db.execute(
            "INSERT INTO item_versions (item_id, revision, title, content_hash, recorded_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [row["id"], revision, analysed.item.title, analysed.content_hash, iso(now)],
        )
        if row["primary_item_id"] == row["id"]:
            self.db.execute(
                "UPDATE events SET revision = revision + 1 WHERE id = ?", [row["event_id"]]
            )
            event_revision = self.db.execute(
                "SELECT revision FROM events WHERE id = ?", [row["event_id"]]
            ).fetchone()[0]
            return ChangedEvent(row["event_id"], event_revision)
        return None

    def _insert_new_items(
        self,
        source: Source,
        new_items: Sequence[AnalyzedItem],
        now: dt.datetime,
        result: IngestResult,
    ) -> list[NewEvent]:
        """Insert a batch with a handful of executemany calls.

        Ids are assigned here (the write transaction holds SQLite's write lock, so max(id) is
        stable), which lets a new event take its first item's id with no update afterwards.
        """
        if not new_items:
            return []
        if self.db.dialect == "postgres":
            # SQLite's BEGIN IMMEDIATE already holds the write lock; take the same here.
            self.db.execute("LOCK TABLE items IN SHARE ROW EXCLUSIVE MODE")
        events = self._lookup_events(new_items)
        next_id = self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM items").fetchone()[0]
        stamp = iso(now)
        new_events: list[NewEvent] = []
        item_rows, event_rows, key_rows, identity_rows, matter_rows = [], [], [], [], []
        joined: list[tuple[int, int]] = []  # (event, new item) that joined a known event
        for analysed in new_items:
            item_id, next_id = next_id, next_id + 1
            event_id = next((events[k] for k in analysed.identity_keys if k in events), None)
            if event_id is None:
                event_id = item_id
                event_rows.append((event_id, item_id, stamp))
                new_events.append(_new_event(event_id, analysed))
            else:
                result.also_in += 1
                if not (analysed.item.doc_type or "").startswith(PUBLIC_INSPECTION_TYPE):
                    joined.append((event_id, item_id))
            for key in analysed.identity_keys:
                events.setdefault(key, event_id)
                identity_rows.append((key, event_id))
            item_rows.append(
                (item_id, source.id, event_id, stamp, stamp, *self._item_values(analysed))
            )
            key_rows.extend((source.id, key, item_id) for key in analysed.dedupe_keys)
            if analysed.item.doc_type != FILING_DOC_TYPE:  # filings stay off timelines
                matter_rows.extend(
                    (matter, e.date.isoformat(), e.label, e.state, e.document, e.url, item_id)
                    for matter in analysed.matters
                    for e in analysed.matter_events
                )
        marks = ", ".join("?" * (5 + len(_ITEM_COLUMNS)))
        conn = self.db
        conn.executemany(
            "INSERT INTO events (id, primary_item_id, created_at) VALUES (?, ?, ?)", event_rows
        )
        conn.executemany(
            f"INSERT INTO items (id, source_id, event_id, first_seen_at, last_changed_at, "
            f"{', '.join(_ITEM_COLUMNS)}) VALUES ({marks})",
            item_rows,
        )
        conn.executemany(
            "INSERT INTO item_keys (source_id, key, item_id) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            key_rows,
        )
        conn.executemany(
            "INSERT INTO event_keys (key, event_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            identity_rows,
        )
        conn.executemany(
            "INSERT INTO matter_events (matter_id, date, label, state, document, url, item_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            matter_rows,
        )
        result.new += len(new_items)
        result.changes.changed_events.extend(self._supersede_public_inspection(joined))
        return new_events

    def _supersede_public_inspection(self, joined: Sequence[tuple[int, int]]) -> list[ChangedEvent]:
        """A published copy of a document seen on public inspection becomes the event's
        primary item: the event changes (its alert is edited), it is not a new alert."""
        changed = []
        for event_id, item_id in joined:
            row = self.db.execute(
                "SELECT i.doc_type FROM events e JOIN items i ON i.id = e.primary_item_id "
                "WHERE e.id = ?",
                [event_id],
            ).fetchone()
            if row and (row[0] or "").startswith(PUBLIC_INSPECTION_TYPE):
                self.db.execute(
                    "UPDATE events SET primary_item_id = ?, revision = revision + 1 WHERE id = ?",
                    [item_id, event_id],
                )
                revision = self.db.execute(
                    "SELECT revision FROM events WHERE id = ?", [event_id]
                ).fetchone()[0]
                changed.append(ChangedEvent(event_id, revision))
        return changed
