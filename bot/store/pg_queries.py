"""The read-side queries on PostgreSQL: full-text search on the items' tsvector (GIN index).

SQLite needs hand-planned walks (bot.store.queries); Postgres' planner chooses between the GIN
index and walking the `items_newest` index itself, so each look-up here is one statement.
"""

from __future__ import annotations

import json

from bot.store.queries import (
    _ITEM_COLUMNS,
    _NEWEST_FIRST,
    Queries,
    StoredItem,
    _stored_item,
    search_words,
)

# jsonb containment: a topics row is [[topic, rule], …]; dockets and matters are [id, …].
_IN_TOPIC = "i.topics::jsonb @> jsonb_build_array(jsonb_build_array(?::text))"
_CITES_DOCKET = "instr(i.dockets, ?) > 0 AND i.dockets::jsonb @> jsonb_build_array(?::text)"
_CITES_MATTER = "instr(i.matters, ?) > 0 AND i.matters::jsonb @> jsonb_build_array(?::text)"


class PgQueries(Queries):
    """`Queries` with the search and the newest-first look-ups written for PostgreSQL."""

    def search(self, text: str, *, limit: int = 20, offset: int = 0) -> list[StoredItem]:
        """Every word required (stemmed, English), newest first; query syntax is not
        interpreted — the words are handed to plainto_tsquery."""
        words = search_words(text)
        if not words:
            return []
        sql = (
            f"SELECT {_ITEM_COLUMNS} FROM items i "
            "WHERE i.search @@ plainto_tsquery('english', ?) "
            f"ORDER BY {_NEWEST_FIRST} LIMIT ? OFFSET ?"
        )
        return [_stored_item(r) for r in self.db.query(sql, [" ".join(words), limit, offset])]

    def latest(self, *, topic: str | None = None, limit: int = 10) -> list[StoredItem]:
        """The newest stored items, optionally only those in one topic."""
        if not topic:
            return self._newest("TRUE", [], limit)
        return self._newest(_IN_TOPIC, [topic], limit)

    def matter_items(self, matter_id: str, *, limit: int = 5) -> list[StoredItem]:
        """The newest stored items that cite a tracked matter's dockets or documents."""
        return self._newest(_CITES_MATTER, [json.dumps(matter_id), matter_id], limit)

    def docket_items(self, docket: str, *, limit: int = 5) -> list[StoredItem]:
        """The newest stored items that cite a docket (any source, tracked matter or not)."""
        return self._newest(_CITES_DOCKET, [json.dumps(docket), docket], limit)

    def _newest(self, condition: str, args: list[object], limit: int) -> list[StoredItem]:
        sql = (
            f"SELECT {_ITEM_COLUMNS} FROM items i WHERE {condition} "
            f"ORDER BY {_NEWEST_FIRST} LIMIT ?"
        )
        return [_stored_item(r) for r in self.db.query(sql, [*args, limit])]
