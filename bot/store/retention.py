"""Retention (`retention_days` in feeds.yaml) and online backups.

`prune` deletes whole events — their items, item versions, FTS rows (through the items_ad
trigger), identity keys and sent (or permanently failed) outbox rows — when every item of the
event was first stored and last changed before the cutoff. Never pruned: an event with an item
that joined a tracked matter's timeline (or cites a matter), with an alert still pending or
being sent, or tied to an open deadline (not yet past, or still waiting for its date). A pruned
item's dedupe keys stay behind as tombstones (item_id 0), so an old item still present in its
feed is recognised as seen and never alerted again.

`backup` copies the live database with SQLite's online backup API: consistent while the bot
runs, and the copy is created 0600 like the database.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlite_utils

from bot.errors import CaleaBotError
from bot.store.database import PRIVATE_MODE, iso, transaction

TOMBSTONE_ITEM_ID = 0

_CANDIDATES = """
CREATE TEMP TABLE prune_events AS
SELECT e.id AS id FROM events e
WHERE e.created_at < ?
  AND NOT EXISTS (
      SELECT 1 FROM items i
      WHERE i.event_id = e.id
        AND (i.first_seen_at >= ? OR i.last_changed_at >= ?
             OR i.matters != '[]'
             OR EXISTS (SELECT 1 FROM matter_events m WHERE m.item_id = i.id)))
  AND NOT EXISTS (
      SELECT 1 FROM outbox o WHERE o.event_id = e.id AND o.state NOT IN ('sent', 'failed'))
  AND NOT EXISTS (
      SELECT 1 FROM deadlines d
      WHERE d.event_id = e.id AND (d.due_date IS NULL OR d.due_date >= ?))
"""
_ITEMS = (
    "CREATE TEMP TABLE prune_items AS SELECT id FROM items "
    "WHERE event_id IN (SELECT id FROM prune_events)"
)
_KEPT_FOR_MATTERS = """
SELECT count(*) FROM items i
WHERE i.last_changed_at < ?
  AND (i.matters != '[]' OR EXISTS (SELECT 1 FROM matter_events m WHERE m.item_id = i.id))
"""
_IN_EVENTS = "IN (SELECT id FROM prune_events)"
_IN_ITEMS = "IN (SELECT id FROM prune_items)"


class _DryRun(Exception):
    """Raised to roll a dry run's transaction back."""


@dataclass(frozen=True)
class PruneReport:
    """What a prune removed (or, with dry_run, would remove)."""

    cutoff: str
    dry_run: bool
    events: int = 0
    items: int = 0
    versions: int = 0
    outbox: int = 0
    fts_rows: int = 0
    kept_for_matters: int = 0

    def to_json(self) -> dict:
        """JSON-ready view."""
        return asdict(self)

    def describe(self) -> str:
        """One line for the terminal and the log."""
        verb = "would prune" if self.dry_run else "pruned"
        return (
            f"{verb} items older than {self.cutoff}: {self.items} items, {self.versions} "
            f"versions, {self.outbox} sent alerts, {self.fts_rows} search rows, "
            f"{self.events} events; kept {self.kept_for_matters} old items of tracked matters"
        )


def prune(
    db: sqlite_utils.Database, retention_days: int, now: dt.datetime, *, dry_run: bool = False
) -> PruneReport:
    """Delete what is older than `retention_days` (see the module docstring), in one transaction."""
    cutoff = iso(now - dt.timedelta(days=retention_days))
    today = now.date().isoformat()
    temp = "pg_temp" if db.dialect == "postgres" else "temp"
    report: dict[str, int] = {}

    def count(sql: str, params=()) -> int:
        return db.execute(sql, list(params)).fetchone()[0]

    try:
        with transaction(db):
            db.execute(f"DROP TABLE IF EXISTS {temp}.prune_events")
            db.execute(f"DROP TABLE IF EXISTS {temp}.prune_items")
            db.execute(_CANDIDATES, [cutoff, cutoff, cutoff, today])
            db.execute(_ITEMS)
            fts = db.dialect == "sqlite"  # Postgres' tsvector lives in the items row
            fts_before = count("SELECT count(*) FROM items_fts") if fts else 0
            report.update(
                events=count("SELECT count(*) FROM prune_events"),
                items=count("SELECT count(*) FROM prune_items"),
                versions=count(f"SELECT count(*) FROM item_versions WHERE item_id {_IN_ITEMS}"),
                outbox=count(f"SELECT count(*) FROM outbox WHERE event_id {_IN_EVENTS}"),
                kept_for_matters=count(_KEPT_FOR_MATTERS, [cutoff]),
            )
            db.execute(f"DELETE FROM item_versions WHERE item_id {_IN_ITEMS}")
            db.execute(f"DELETE FROM outbox WHERE event_id {_IN_EVENTS}")
            db.execute(f"DELETE FROM event_keys WHERE event_id {_IN_EVENTS}")
            db.execute(
                f"UPDATE item_keys SET item_id = ? WHERE item_id {_IN_ITEMS}", [TOMBSTONE_ITEM_ID]
            )
            db.execute(f"DELETE FROM items WHERE id {_IN_ITEMS}")  # items_ad clears FTS rows
            db.execute(f"DELETE FROM events WHERE id {_IN_EVENTS}")
            report["fts_rows"] = (
                fts_before - count("SELECT count(*) FROM items_fts") if fts else report["items"]
            )
            db.execute(f"DROP TABLE {temp}.prune_events")
            db.execute(f"DROP TABLE {temp}.prune_items")
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return PruneReport(cutoff=cutoff, dry_run=dry_run, **report)


def backup(db: sqlite_utils.Database, target: Path | str, *, force: bool = False) -> Path:
    """Copy the database to `target` with SQLite's online backup API (mode 0600).

    Refuses to overwrite an existing file unless `force`.
    """
    if db.dialect != "sqlite":
        raise CaleaBotError(
            "backup copies a SQLite file; on PostgreSQL use pg_dump (or your provider's backups)"
        )
    target = Path(target)
    if target.is_dir():
        raise CaleaBotError(f"{target}: is a directory; give the backup file's path")
    if target.exists() and not force:
        raise CaleaBotError(f"{target}: already exists; pass --force to overwrite it")
    if not target.parent.exists():
        raise CaleaBotError(f"{target.parent}: no such folder")
    partial = target.with_name(target.name + ".partial")
    try:
        partial.unlink(missing_ok=True)
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE))
        copy = sqlite3.connect(partial)
        try:
            db.conn.backup(copy)
        finally:
            copy.close()
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise CaleaBotError(f"{target}: backup failed: {exc}") from exc
    return target
