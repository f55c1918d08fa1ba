"""Read-only look-ups over stored items: full-text search, latest per topic, matter timelines."""

from __future__ import annotations

import datetime as dt
import json
import re
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


def fts_query(text: str) -> str | None:
    """Turn free user text into a safe FTS5 query: every word quoted, all required.

    Returns None when the text holds no searchable word. FTS5 syntax in user input
    (quotes, NEAR, column filters, '*') is neutralised rather than interpreted.
    """
    tokens = _TOKEN.findall(text)[:MAX_QUERY_TOKENS]
    if not tokens:
        return None
    return " ".join('"' + token.replace('"', '""') + '"' for token in tokens)


_ITEM_COLUMNS = (
    "i.id, i.event_id, i.source_id, i.title, i.link, i.published, i.first_seen_at, i.summary, "
    "i.topics, i.dockets, i.documents, i.dates, i.revision"
)


class Queries:
    """Read-side queries used by the CLI and chat commands."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def search(self, text: str, *, limit: int = 20, offset: int = 0) -> list[StoredItem]:
        """Full-text search over titles and text, newest first."""
        query = fts_query(text)
        if query is None:
            return []
        sql = (
            f"SELECT {_ITEM_COLUMNS} FROM items_fts JOIN items i ON i.id = items_fts.rowid "
            "WHERE items_fts MATCH ? "
            "ORDER BY coalesce(i.published, i.first_seen_at) DESC, i.id DESC LIMIT ? OFFSET ?"
        )
        return [_stored_item(r) for r in self.db.query(sql, [query, limit, offset])]

    def latest(self, *, topic: str | None = None, limit: int = 10) -> list[StoredItem]:
        """The newest stored items, optionally only those in one topic."""
        where, args = "", []
        if topic:
            where = "WHERE EXISTS (SELECT 1 FROM json_each(i.topics) j WHERE j.value ->> 0 = ?)"
            args.append(topic)
        sql = (
            f"SELECT {_ITEM_COLUMNS} FROM items i {where} "
            "ORDER BY coalesce(i.published, i.first_seen_at) DESC, i.id DESC LIMIT ?"
        )
        return [_stored_item(r) for r in self.db.query(sql, [*args, limit])]

    def matter_events(self, matter_id: str) -> list[MatterEvent]:
        """Events stored items added to a matter's timeline, oldest first."""
        rows = self.db.query(
            "SELECT * FROM matter_events WHERE matter_id = ? ORDER BY date, id", [matter_id]
        )
        return [
            MatterEvent(
                date=dt.date.fromisoformat(r["date"]),
                label=r["label"],
                state=r["state"],
                document=r["document"],
                url=r["url"],
                item_id=r["item_id"],
            )
            for r in rows
        ]

    def item_count(self) -> int:
        """How many items are stored."""
        return self.db.execute("SELECT count(*) FROM items").fetchone()[0]

    def matter_items(self, matter_id: str, *, limit: int = 5) -> list[StoredItem]:
        """The newest stored items that cite a tracked matter's dockets or documents."""
        sql = (
            f"SELECT {_ITEM_COLUMNS} FROM items i "
            "WHERE EXISTS (SELECT 1 FROM json_each(i.matters) j WHERE j.value = ?) "
            "ORDER BY coalesce(i.published, i.first_seen_at) DESC, i.id DESC LIMIT ?"
        )
        return [_stored_item(r) for r in self.db.query(sql, [matter_id, limit])]
