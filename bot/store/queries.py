"""Read-only look-ups over stored items: full-text search, latest per topic, matter timelines."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from bot.models import KeyDate, MatterEvent
from bot.store.database import from_iso, iso

_TOKEN = re.compile(r"[\w][\w.\-/]*", re.UNICODE)
MAX_QUERY_TOKENS = 16


@dataclass(frozen=True)
class StoredItem:
    """An item as search and status show it."""

    id: int
    event_id: int
    source_id: str
    title: str
    link: str | None
    published: dt.datetime | None
    first_seen_at: dt.datetime
    summary: str
    topics: tuple[str, ...]
    dockets: tuple[str, ...]
    documents: tuple[str, ...]
    dates: tuple[KeyDate, ...]
    revision: int

    def to_json(self) -> dict:
        """A JSON-ready dict for --json output."""
        return {
            "id": self.id,
            "event_id": self.event_id,
            "source": self.source_id,
            "title": self.title,
            "link": self.link,
            "published": iso(self.published),
            "first_seen_at": iso(self.first_seen_at),
            "summary": self.summary,
            "topics": list(self.topics),
            "dockets": list(self.dockets),
            "documents": list(self.documents),
            "dates": [{"kind": d.kind, "date": d.date.isoformat()} for d in self.dates],
            "revision": self.revision,
        }


def _stored_item(row: dict) -> StoredItem:
    return StoredItem(
        id=row["id"],
        event_id=row["event_id"],
        source_id=row["source_id"],
        title=row["title"],
        link=row["link"],
        published=from_iso(row["published"]),
        first_seen_at=from_iso(row["first_seen_at"]),
        summary=row["summary"],
        topics=tuple(t for t, _ in json.loads(row["topics"])),
        dockets=tuple(json.loads(row["dockets"])),
        documents=tuple(json.loads(row["documents"])),
        dates=tuple(KeyDate(k, dt.date.fromisoformat(d)) for k, d in json.loads(row["dates"])),
        revision=row["revision"],
    )


def search_words(text: str) -> list[str]:
    """The searchable words of free user text (at most MAX_QUERY_TOKENS)."""
    return _TOKEN.findall(text)[:MAX_QUERY_TOKENS]


def fts_query(text: str) -> str | None:
    """Turn free user text into a safe FTS5 query: every word quoted, all required.

    Returns None when the text holds no searchable word. FTS5 syntax in user input
    (quotes, NEAR, column filters, '*') is neutralised rather than interpreted.
    """
    tokens = search_words(text)
    if not tokens:
        return None
    return " ".join('"' + token.replace('"', '""') + '"' for token in tokens)


_ITEM_COLUMNS = (
    "i.id, i.event_id, i.source_id, i.title, i.link, i.published, i.first_seen_at, i.summary, "
    "i.topics, i.dockets, i.documents, i.dates, i.revision"
)


_NEWEST_FIRST = "coalesce(i.published, i.first_seen_at) DESC, i.id DESC"
# Conditions on `i` for `Queries._newest_ids`. The unary + keeps SQLite from driving the walk
# from the set of matching ids: the index on published must drive it.
_FTS_SET = "+i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)"
_FTS_PROBE = "EXISTS (SELECT 1 FROM items_fts WHERE items_fts MATCH ? AND items_fts.rowid = i.id)"
# A row whose JSON lacks the id as a JSON string is skipped before its JSON is parsed:
# bind `_json_string(id), id`.
_IN_TOPIC = (
    "instr(i.topics, ?) > 0 "
    "AND EXISTS (SELECT 1 FROM json_each(i.topics) j WHERE j.value ->> 0 = ?)"
)
_CITES_DOCKET = (
    "instr(i.dockets, ?) > 0 AND EXISTS (SELECT 1 FROM json_each(i.dockets) j WHERE j.value = ?)"
)
_CITES_MATTER = (
    "instr(i.matters, ?) > 0 AND EXISTS (SELECT 1 FROM json_each(i.matters) j WHERE j.value = ?)"
)

#: Searches matching at most this many items sort every match.
SORT_ALL_MAX = 5_000
#: A word in at least this share of the items is checked on the newest items one by one …
COMMON_SHARE = 0.10
#: … unless that means checking more items than this (deep pages).
PROBE_WINDOW_MAX = 4_000
#: Topic and matter look-ups check at most about this many of the newest items before
#: falling back to filtering and sorting every item.
WALK_WINDOW = 20_000


def _json_string(value: str) -> str:
    """`value` as the ingest writes it inside a JSON column."""
    return json.dumps(value, ensure_ascii=False)


class Queries:
    """Read-side queries used by the CLI and chat commands.

    The limits above are attributes, so tests can shrink them to exercise every path.
    """

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.sort_all_max = SORT_ALL_MAX
        self.common_share = COMMON_SHARE
        self.probe_window_max = PROBE_WINDOW_MAX
        self.walk_window = WALK_WINDOW

    def search(self, text: str, *, limit: int = 20, offset: int = 0) -> list[StoredItem]:
        """Full-text search over titles and text, newest first.

        A word that matches few items has every match sorted by date. For a word that matches
        many, the newest items are walked instead (the items_published index), so the cost does
        not grow with the number of matches: see `_newest_matches`.
        """
        query = fts_query(text)
        if query is None:
            return []
        ids = self._newest_matches(query, limit + offset)
        if ids is not None:
            return self._items_by_id(ids[offset:])
        sql = (
            f"SELECT {_ITEM_COLUMNS} FROM items_fts JOIN items i ON i.id = items_fts.rowid "
            "WHERE items_fts MATCH ? "
            f"ORDER BY {_NEWEST_FIRST} LIMIT ? OFFSET ?"
        )
        return [_stored_item(r) for r in self.db.query(sql, [query, limit, offset])]

    def _newest_matches(self, query: str, wanted: int) -> list[int] | None:
        """Ids of the `wanted` newest items matching an FTS query, or None to sort every match.

        Up to `sort_all_max` matches, sorting them all is cheapest (None). A query matching at
        least `common_share` of the items is checked item by item on the newest ones; others
        walk the dates with the set of matching ids in hand.
        """
        total = self.db.execute("SELECT max(id) FROM items").fetchone()[0] or 0
        cap = max(self.sort_all_max + 1, int(total * self.common_share))
        matches = self.db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM items_fts WHERE items_fts MATCH ? LIMIT ?)",
            [query, cap],
        ).fetchone()[0]
        if matches <= self.sort_all_max:
            return None
        if matches >= cap:
            window = 3 * wanted * total // matches + 64
            if window <= self.probe_window_max:
                ids = self._newest_ids(_FTS_PROBE, [query], wanted, window=window)
                if ids is not None:
                    return ids
        return self._newest_ids(_FTS_SET, [query], wanted, window=None)

    def _newest_ids(
        self, condition: str, args: Sequence[object], wanted: int, *, window: int | None
    ) -> list[int] | None:
        """Ids of the `wanted` newest items meeting `condition` (SQL on `i`), newest first.

        Walks the items_published index from the newest date, so it stops as soon as enough
        items qualify; undated items (ordered by first_seen_at) are merged in. With `window`,
        only about the `window` newest dated items (and at most `window` undated ones) are
        looked at, and None means that did not settle the answer.
        """
        since, since_args = "i.published IS NOT NULL", []
        if window is not None:
            edge = self.db.execute(
                "SELECT published FROM items INDEXED BY items_published "
                "WHERE published IS NOT NULL ORDER BY published DESC, id DESC LIMIT 1 OFFSET ?",
                [window - 1],
            ).fetchone()
            undated = self.db.execute(
                "SELECT count(*) FROM (SELECT 1 FROM items INDEXED BY items_published "
                "WHERE published IS NULL LIMIT ?)",
                [window + 1],
            ).fetchone()[0]
            if undated > window:
                return None
            if edge is not None:  # older items than the edge are not looked at
                since, since_args = "i.published >= ?", [edge[0]]
        dated = self.db.execute(
            "SELECT i.id, i.published FROM items i INDEXED BY items_published "
            f"WHERE {since} AND {condition} ORDER BY i.published DESC, i.id DESC LIMIT ?",
            [*since_args, *args, wanted],
        ).fetchall()
        if since_args and len(dated) < wanted:
            return None
        undated_rows = self.db.execute(
            "SELECT i.id, i.first_seen_at FROM items i INDEXED BY items_published "
            f"WHERE i.published IS NULL AND {condition} "
            "ORDER BY i.first_seen_at DESC, i.id DESC LIMIT ?",
            [*args, wanted],
        ).fetchall()
        ranked = sorted([*dated, *undated_rows], key=lambda row: (row[1], row[0]), reverse=True)
        return [row[0] for row in ranked[:wanted]]

    def _items_by_id(self, ids: Sequence[int]) -> list[StoredItem]:
        """Stored items by id, in the order given."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        sql = f"SELECT {_ITEM_COLUMNS} FROM items i WHERE i.id IN ({marks})"
        rows = {row["id"]: row for row in self.db.query(sql, list(ids))}
        return [_stored_item(rows[item_id]) for item_id in ids]

    def latest(self, *, topic: str | None = None, limit: int = 10) -> list[StoredItem]:
        """The newest stored items, optionally only those in one topic."""
        if not topic:  # an unbounded walk always settles the answer
            return self._items_by_id(self._newest_ids("1", [], limit, window=None) or [])
        return self._newest_where(_IN_TOPIC, [_json_string(topic), topic], limit)

    def matter_events(self, matter_id: str) -> list[MatterEvent]:
        """Events stored items added to a matter's timeline, oldest first."""
        rows = self.db.execute(
            "SELECT date, label, state, document, url, item_id FROM matter_events "
            "WHERE matter_id = ? ORDER BY date, id",
            [matter_id],
        ).fetchall()
        day = functools.lru_cache(maxsize=None)(dt.date.fromisoformat)
        return [
            MatterEvent(
                date=day(date), label=label, state=state, document=document, url=url, item_id=item
            )
            for date, label, state, document, url, item in rows
        ]

    def item_count(self) -> int:
        """How many items are stored."""
        return self.db.execute("SELECT count(*) FROM items").fetchone()[0]

    def matter_items(self, matter_id: str, *, limit: int = 5) -> list[StoredItem]:
        """The newest stored items that cite a tracked matter's dockets or documents."""
        return self._newest_where(_CITES_MATTER, [_json_string(matter_id), matter_id], limit)

    def docket_items(self, docket: str, *, limit: int = 5) -> list[StoredItem]:
        """The newest stored items that cite a docket (any source, tracked matter or not)."""
        return self._newest_where(_CITES_DOCKET, [_json_string(docket), docket], limit)

    def _newest_where(self, condition: str, args: list[object], limit: int) -> list[StoredItem]:
        """The newest items meeting `condition`: a windowed walk, else filter and sort all."""
        ids = self._newest_ids(condition, args, limit, window=self.walk_window)
        if ids is not None:
            return self._items_by_id(ids)
        sql = (
            f"SELECT {_ITEM_COLUMNS} FROM items i WHERE {condition} "
            f"ORDER BY {_NEWEST_FIRST} LIMIT ?"
        )
        return [_stored_item(r) for r in self.db.query(sql, [*args, limit])]
