"""How many stored events each topic gained recently (for the `topics` command)."""

from __future__ import annotations

import datetime as dt

import sqlite_utils

from bot.store.database import iso


def recent_topic_counts(db: sqlite_utils.Database, since: dt.datetime) -> dict[str, int]:
    """Topic id → number of distinct events published (or first seen, when undated) since `since`.

    An event reported by several sources counts once. Both branches of the filter use the
    `items_published` index, so this reads only recent rows.
    """
    stamp = iso(since)
    rows = db.execute(
        "SELECT j.value ->> 0 AS topic, count(DISTINCT i.event_id) "
        "FROM items i, json_each(i.topics) j "
        "WHERE i.published >= ? OR (i.published IS NULL AND i.first_seen_at >= ?) "
        "GROUP BY topic",
        [stamp, stamp],
    ).fetchall()
    return {topic: count for topic, count in rows}
