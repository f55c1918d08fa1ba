"""How many stored events each topic gained recently (for the `topics` and `status` commands)."""

from __future__ import annotations

import datetime as dt
import json

import sqlite_utils

from bot.store.database import iso
from bot.store.dialect import json_rows


def _in_topic(dialect: str) -> str:
    return f"EXISTS (SELECT 1 FROM {json_rows(dialect, 'i.topics')} WHERE j.value ->> 0 = ?)"


def recent_topic_counts(db: sqlite_utils.Database, since: dt.datetime) -> dict[str, int]:
    """Topic id → number of distinct events published (or first seen, when undated) since `since`.

    An event reported by several sources counts once. Both branches of the filter use the
    `items_published` index, so this reads only recent rows.
    """
    stamp = iso(since)
    rows = db.execute(
        "SELECT j.value ->> 0 AS topic, count(DISTINCT i.event_id) "
        f"FROM items i, {json_rows(db.dialect, 'i.topics')} "
        "WHERE i.published >= ? OR (i.published IS NULL AND i.first_seen_at >= ?) "
        "GROUP BY j.value ->> 0",
        [stamp, stamp],
    ).fetchall()
    return {topic: count for topic, count in rows}


def recent_topic_count(db: sqlite_utils.Database, since: dt.datetime, topic: str) -> int:
    """`recent_topic_counts(db, since).get(topic, 0)`, reading only the rows that name `topic`.

    A row whose topics JSON does not contain the id as a JSON string cannot be in the topic,
    so it is skipped before its JSON is parsed.
    """
    stamp = iso(since)
    needle = json.dumps(topic, ensure_ascii=False)  # as the ingest writes it
    recent = "(i.published >= ? OR (i.published IS NULL AND i.first_seen_at >= ?))"
    return db.execute(
        "SELECT count(DISTINCT i.event_id) FROM items i "
        f"WHERE {recent} AND instr(i.topics, ?) > 0 AND {_in_topic(db.dialect)}",
        [stamp, stamp, needle, topic],
    ).fetchone()[0]
