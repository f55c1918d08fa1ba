"""Opening the database: a SQLite file (the default) or PostgreSQL (a `postgresql://` URL).

SQLite gets pragmas for a long-running writer; both get the same migrations. Repositories see
one small interface either way — `execute`, `executemany`, `query`, `close` and `dialect` — and
write portable SQL with `?` placeholders (bot.store.postgres translates it).

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
from bot.store.postgres import PgDatabase, is_postgres_url


class SqliteDatabase(sqlite_utils.Database):
    """sqlite-utils' Database with the two methods PgDatabase also has, and its dialect."""

    dialect = "sqlite"

    def executemany(self, sql: str, rows):
        """Run one statement for each row; rowcount is the total affected."""
        return self.conn.executemany(sql, rows)

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


_MIGRATED: set[str] = set()  # PostgreSQL URLs this process has brought up to date
Database = SqliteDatabase  # or bot.store.postgres.PgDatabase: the same interface


def open_database(target: Path | str, *, pool_size: int | None = None):
    """Open the bot's database and bring its schema up to date.

    `target` is a SQLite file (created if needed, WAL mode) or a PostgreSQL URL.
    """
    if is_postgres_url(target):
        db = PgDatabase(str(target), **({"pool_size": pool_size} if pool_size else {}))
        if target in _MIGRATED:
            return db
        try:
            apply_migrations(db)
            _MIGRATED.add(target)
        except Exception as exc:
            db.close()
            if isinstance(exc, CaleaBotError):
                raise
            raise CaleaBotError(f"cannot prepare the PostgreSQL database: {exc}") from exc
        return db
    return open_sqlite(Path(target))


def open_sqlite(path: Path) -> SqliteDatabase:
    """Open (creating if needed) a SQLite database in WAL mode, schema up to date."""
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
        db = SqliteDatabase(conn)
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


def transaction(db):
    """One atomic write, rolled back on any exception (SQLite: BEGIN IMMEDIATE … COMMIT).

    A crash or kill inside the block leaves the database as it was before it.
    """
    if db.dialect == "postgres":
        return db.transaction()
    return _sqlite_transaction(db)


@contextmanager
def _sqlite_transaction(db: SqliteDatabase) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
