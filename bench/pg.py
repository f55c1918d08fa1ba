"""PostgreSQL for the benchmarks: a throw-away server or an existing one, fresh databases on it.

    with PgBench.start() as pg:             # tests/pg_server.py starts a server (fsync off)
    with PgBench.start("postgresql://…"):   # an existing server (CREATE DATABASE rights)
        url = pg.new_database()             # empty; dropped again on close
        pg.cpu_seconds()                    # the server's CPU so far (throw-away server only)

`Targets` hands a benchmark its stores: SQLite files in a folder, or fresh PostgreSQL databases.

The throw-away server runs with durability off (fsync, synchronous_commit, full_page_writes), as
the tests run it: commits never wait for the disk (SQLite in WAL mode with synchronous=NORMAL
does not fsync on commit either, only at checkpoints), so neither side measures the disk.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.pg_server import PgServer, start_server  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def tree_cpu_seconds(root: int) -> float:
    """CPU (user + system) of a process, its reaped children, and its live children.

    A PostgreSQL backend that exits is reaped by the postmaster, so its CPU lands in the
    postmaster's cutime/cstime; the live backends are counted one by one.
    """
    fields = _stat(root)
    if fields is None:
        return 0.0
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (child := _stat(int(entry.name))) and int(child[1]) == root:
            ticks += int(child[11]) + int(child[12])
    return ticks / CLK_TCK


class PgBench:
    """A PostgreSQL server for one benchmark run (see the module docstring)."""

    def __init__(self, server: PgServer | None, admin_url: str) -> None:
        self.server = server
        self.admin_url = admin_url
        self.created: list[str] = []

    @classmethod
    def start(cls, url: str | None = None) -> PgBench:
        """A throw-away server (url None) or the server of `url`."""
        if url is None:
            server = start_server()
            return cls(server, server.url())
        return cls(None, url)

    def describe(self) -> str:
        """One line for the output: which server, which version."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        where = "throw-away server (tests/pg_server.py, fsync off)" if self.server else "given"
        return f"PostgreSQL {version}, {where}"

    def new_database(self) -> str:
        """An empty database on the server; its URL."""
        if self.server is not None:
            url = self.server.create_database()
            self.created.append(url)
            return url
        name = f"calea_bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = self.admin_url.rsplit("/", 1)[0] + "/" + name
        self.created.append(url)
        return url

    def cpu_seconds(self) -> float | None:
        """The server's CPU so far (None for a server this run did not start)."""
        if self.server is None or self.server.process is None:
            return None
        return tree_cpu_seconds(self.server.process.pid)

    def close(self) -> None:
        """Drop the databases made here; stop the throw-away server."""
        if self.server is not None:
            self.server.stop()
            return
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for url in self.created:
                name = url.rsplit("/", 1)[-1]
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )

    def __enter__(self) -> PgBench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def database_size_mb(url: str) -> float:
    """pg_database_size of the URL's database, in MB."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 1e6


class Targets:
    """Where a benchmark's stores go: SQLite files in `folder`, or databases on `pg`."""

    def __init__(self, folder: Path, pg: PgBench | None = None) -> None:
        self.folder = folder
        self.pg = pg

    @property
    def kind(self) -> str:
        """ "sqlite" or "postgres"."""
        return "postgres" if self.pg else "sqlite"

    def new(self, name: str) -> Path | str:
        """A new, empty store target: `folder/name.db`, or a fresh database's URL."""
        return self.pg.new_database() if self.pg else self.folder / f"{name}.db"

    def size_mb(self, target: Path | str) -> float:
        """The database's size on disk: the file with its WAL, or pg_database_size."""
        if self.pg:
            return database_size_mb(str(target))
        path = Path(target)
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6

    def server_cpu(self) -> float | None:
        """CPU of the database server so far: 0 for SQLite (in-process), None when unknown."""
        return self.pg.cpu_seconds() if self.pg else 0.0
