"""Opening the SQLite file: pragmas for a long-running writer, then migrations.

The database holds Workflows webhook URLs and bearer secrets, so a new file — and the -wal and
-shm files SQLite creates beside it — is readable and writable by its owner only (0600).
"""

from __future__ import annotations

import datetime as dt
import os
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
        create_private(path)
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        private_sidecars(path)
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


PRIVATE_MODE = 0o600
_SIDECARS = ("-wal", "-shm", "-journal")


def create_private(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists (SQLite then gives its -wal and -shm
    files the same mode). An existing file keeps the mode its owner chose."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def private_sidecars(path: Path) -> None:
    """Make the -wal/-shm files of a 0600 database 0600 too (whatever the umask was)."""
    try:
        if path.stat().st_mode & 0o077:
            return
    except OSError:
        return
    for suffix in _SIDECARS:
        sidecar = path.with_name(path.name + suffix)
        try:
            if sidecar.stat().st_mode & 0o077:
                os.chmod(sidecar, PRIVATE_MODE)
        except OSError:
            continue


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
