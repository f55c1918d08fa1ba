"""Opening the SQLite file: pragmas for a long-running writer, then migrations."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from bot.errors import CaleaBotError
from bot.store.migrations import apply_migrations


def open_database(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) the bot's database in WAL mode and bring its schema up to date."""
    path = Path(path)
    try:
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-65536")
        db = sqlite_utils.Database(conn)
        apply_migrations(db)
    except (sqlite3.DatabaseError, OSError) as exc:
        raise CaleaBotError(f"cannot open database {path}: {exc}") from exc
    return db


def iso(moment: dt.datetime | None) -> str | None:
    """A UTC timestamp as sortable ISO-8601 text (None stays None)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def from_iso(text: str | None) -> dt.datetime | None:
    """Parse a timestamp written by `iso`."""
    return dt.datetime.fromisoformat(text) if text else None


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """One atomic write: BEGIN IMMEDIATE … COMMIT, rolled back on any exception.

    A crash or kill inside the block leaves the database as it was before it.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
