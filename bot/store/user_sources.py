"""Feeds added from chat (`feeds add`): persisted so the scheduler polls them beside feeds.yaml's.

Ids are chosen by the caller (the command layer makes them "user-<slug>"); URLs are unique, so
the same feed cannot be added twice. Removing a feed also forgets its poll state; its stored
items stay searchable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlite_utils

from bot.config import Config
from bot.models import Source

if TYPE_CHECKING:
    from bot.store import Store
from bot.store.database import from_iso, iso, transaction


class DuplicateSourceError(ValueError):
    """A feed with this id or URL was already added."""


@dataclass(frozen=True)
class UserSource:
    """A feed added from chat, with who added it and when."""

    source: Source
    added_by: str | None
    added_by_name: str | None
    platform: str | None
    added_at: dt.datetime


def _user_source(row: dict) -> UserSource:
    return UserSource(
        source=Source(
            id=row["id"],
            name=row["name"],
            url=row["url"],
            kind=row["kind"],
            interval_seconds=row["interval_seconds"],
            topics=tuple(json.loads(row["topics"])),
            enabled=bool(row["enabled"]),
            public_only=True,  # a chat user chose this URL: never fetch private addresses
        ),
        added_by=row["added_by"],
        added_by_name=row["added_by_name"],
        platform=row["platform"],
        added_at=from_iso(row["added_at"]),
    )


class UserSources:
    """Reads and writes the user_sources table."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def records(self) -> list[UserSource]:
        """Every feed added from chat, oldest first, with who added it."""
        rows = self.db.query("SELECT * FROM user_sources ORDER BY added_at, id")
        return [_user_source(row) for row in rows]

    def all(self) -> list[Source]:
        """Every feed added from chat, oldest first, as sources the scheduler can poll."""
        return [record.source for record in self.records()]

    def get(self, source_id: str) -> UserSource | None:
        """One feed added from chat, or None."""
        rows = list(self.db.query("SELECT * FROM user_sources WHERE id = ?", [source_id]))
        return _user_source(rows[0]) if rows else None

    def add(
        self,
        source: Source,
        *,
        added_by: str | None = None,
        added_by_name: str | None = None,
        platform: str | None = None,
        now: dt.datetime,
    ) -> None:
        """Persist a new feed. DuplicateSourceError if its id or URL is already there."""
        try:
            with transaction(self.db):
                self.db.execute(
                    "INSERT INTO user_sources (id, name, url, kind, interval_seconds, topics, "
                    "enabled, added_by, added_by_name, platform, added_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        source.id,
                        source.name,
                        source.url,
                        source.kind,
                        source.interval_seconds,
                        json.dumps(list(source.topics)),
                        int(source.enabled),
                        added_by,
                        added_by_name,
                        platform,
                        iso(now),
                    ],
                )
        except sqlite3.IntegrityError as exc:
            raise DuplicateSourceError(f"a feed with id {source.id} or this URL exists") from exc

    def remove(self, source_id: str) -> bool:
        """Forget a feed added from chat and its poll state; False if there was none."""
        with transaction(self.db):
            if not self.db.execute("DELETE FROM user_sources WHERE id = ?", [source_id]).rowcount:
                return False
            self.db.execute("DELETE FROM source_state WHERE source_id = ?", [source_id])
        return True


def with_user_sources(config: Config, store: Store) -> Config:
    """feeds.yaml's sources followed by the feeds admins added from chat."""
    return dataclasses.replace(config, sources=(*config.sources, *store.user_sources.all()))
