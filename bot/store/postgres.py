"""PostgreSQL behind the same small interface the repositories use on SQLite.

`PgDatabase` offers what the store needs of `sqlite_utils.Database` — `execute`, `executemany`,
`query`, `transaction`, `close` — on a psycopg 3 connection pool shared by every `PgDatabase`
of one URL in the process. The repositories write SQL once, with `?` placeholders; statements
are translated here (`?` → `%s`) and cached (psycopg prepares the ones a connection runs
often). A statement outside a transaction autocommits on a pooled connection, as on SQLite;
`transaction()` pins one connection to the calling thread inside BEGIN … COMMIT (ROLLBACK on
error), so the thread's statements in it are one atomic unit.
"""

from __future__ import annotations

import decimal
import functools
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bot.errors import CaleaBotError

log = logging.getLogger(__name__)

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
DEFAULT_POOL_SIZE = 10


def is_postgres_url(target: object) -> bool:
    """True for a `postgresql://…` (or `postgres://…`) connection URL."""
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def redact_url(url: str) -> str:
    """The URL with its password replaced by '***' (for logs and status)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def describe_database(target: object) -> str:
    """How to name a database target to a person: a file path, or a URL without password."""
    return redact_url(target) if is_postgres_url(target) else str(target)


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """SQLite-style SQL to psycopg's: `?` → `%s`, a literal `%` → `%%` (quotes respected)."""
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote:
            out.append("%%" if char == "%" else char)
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)


class IntegrityError(sqlite3.IntegrityError):
    """A constraint violation on PostgreSQL, raised as the type repositories catch on SQLite."""


@contextmanager
def _integrity_as_sqlite() -> Iterator[None]:
    import psycopg

    try:
        yield
    except psycopg.IntegrityError as exc:
        raise IntegrityError(str(exc).strip().splitlines()[0]) from exc


def _param(value: Any) -> Any:
    # Flags are INTEGER columns (0/1) in both databases.
    return int(value) if isinstance(value, bool) else value


def _params(params: Sequence[Any] | None) -> list[Any]:
    return [_param(v) for v in params] if params else []


class Result:
    """A finished statement's rows (fetched in full) and row count: the cursor subset used."""

    __slots__ = ("_rows", "_next", "rowcount", "description")

    def __init__(self, rows: list[tuple], rowcount: int, description) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self.description = description

    def fetchone(self) -> tuple | None:
        """The next row, or None."""
        if self._next >= len(self._rows):
            return None
        row = self._rows[self._next]
        self._next += 1
        return row

    def fetchall(self) -> list[tuple]:
        """The remaining rows."""
        rows = self._rows[self._next :]
        self._next = len(self._rows)
        return rows

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.fetchall())


class _Pools:
    """One connection pool per URL in the process, closed when its last user closes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pools: dict[str, list] = {}  # url → [pool, users]

    def acquire(self, url: str, max_size: int):
        with self._lock:
            entry = self._pools.get(url)
            if entry is None:
                entry = self._pools[url] = [_open_pool(url, max_size), 0]
            entry[1] += 1
            return entry[0]

    def release(self, url: str) -> None:
        with self._lock:
            entry = self._pools.get(url)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] > 0:
                return
            del self._pools[url]
        entry[0].close()


_POOLS = _Pools()


def _configure(conn) -> None:
    from psycopg.types.numeric import NumericLoader

    class WholeNumberLoader(NumericLoader):
        """numeric (sum of bigints, …) as int when whole, else float: what SQLite gives."""

        def load(self, data):
            value = super().load(data)
            if isinstance(value, decimal.Decimal):
                return int(value) if value == value.to_integral_value() else float(value)
            return value

    conn.adapters.register_loader("numeric", WholeNumberLoader)


def _open_pool(url: str, max_size: int):
    try:
        import psycopg
        from psycopg_pool import ConnectionPool
    except ImportError as exc:  # pragma: no cover - both are dependencies
        raise CaleaBotError(f"DATABASE_URL needs psycopg and psycopg-pool: {exc}") from exc
    try:  # fail fast and clearly (the pool would retry until its timeout)
        psycopg.connect(url, connect_timeout=10).close()
    except psycopg.Error as exc:
        raise CaleaBotError(
            f"cannot connect to PostgreSQL at {redact_url(url)}: {_first_line(exc)}"
        ) from exc
    pool = ConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        open=False,
        configure=_configure,
        # Autocommit: a lone statement is one round trip (SQLite's autocommit, too);
        # `transaction()` opens an explicit BEGIN … COMMIT block.
        kwargs={"connect_timeout": 10, "application_name": "calea-bot", "autocommit": True},
        name="calea-bot",
    )
    try:
        pool.open(wait=True, timeout=15)
    except Exception as exc:  # noqa: BLE001 - any failure to open is the same error
        pool.close()
        raise CaleaBotError(
            f"cannot connect to PostgreSQL at {redact_url(url)}: {_first_line(exc)}"
        ) from exc
    return pool


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class PgDatabase:
    """A PostgreSQL database with the SQLite store's interface (see the module docstring)."""

    dialect = "postgres"

    def __init__(self, url: str, *, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self.url = url
        self.pool = _POOLS.acquire(url, pool_size)
        self._local = threading.local()
        self._closed = False

    def __repr__(self) -> str:
        return f"PgDatabase({redact_url(self.url)!r})"

    # -- statements ------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Result:
        """Run one statement; its rows come back fetched."""
        with self._connection() as conn, _integrity_as_sqlite():
            cursor = conn.execute(translate(sql), _params(params))
            rows = cursor.fetchall() if cursor.description else []
            return Result(rows, cursor.rowcount, cursor.description)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Result:
        """Run one statement for each row (pipelined); rowcount is the total affected."""
        rows = [_params(r) for r in rows]
        if not rows:
            return Result([], 0, None)
        with self._connection() as conn, _integrity_as_sqlite():
            cursor = conn.cursor()
            cursor.executemany(translate(sql), rows)
            return Result([], cursor.rowcount, None)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> Iterator[dict]:
        """Rows as dicts keyed by column name."""
        result = self.execute(sql, params)
        names = [c.name for c in result.description or ()]
        for row in result.fetchall():
            yield dict(zip(names, row, strict=True))

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit on one connection, pinned to this thread; rolled back on error."""
        if getattr(self._local, "conn", None) is not None:
            raise RuntimeError("nested transaction")
        with self.pool.connection() as conn:
            self._local.conn = conn
            try:
                with conn.transaction():
                    yield
            finally:
                self._local.conn = None

    @contextmanager
    def _connection(self):
        pinned = getattr(self._local, "conn", None)
        if pinned is not None:
            yield pinned
            return
        with self.pool.connection() as conn:
            yield conn

    def close(self) -> None:
        """Give the pool back (the last user closes it)."""
        if not self._closed:
            self._closed = True
            _POOLS.release(self.url)
