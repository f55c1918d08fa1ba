"""Activity ids already answered, remembered for the replay window across restarts."""

from __future__ import annotations

import sqlite_utils


class SeenActivities:
    """A persistent 'seen' set: `first_sight` is True once per id within the window."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def first_sight(self, activity_id: str, now: float, window: float) -> bool:
        """Record `activity_id`; False when it was already seen less than `window` s ago."""
        self.db.execute("DELETE FROM seen_activities WHERE seen_at < ?", [now - window])
        cursor = self.db.execute(
            "INSERT INTO seen_activities (activity_id, seen_at) VALUES (?, ?) "
            "ON CONFLICT (activity_id) DO NOTHING",
            [activity_id, now],
        )
        return cursor.rowcount == 1
