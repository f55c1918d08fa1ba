"""tests/pg_server.py: the session's PostgreSQL server and its per-test databases."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from tests.pg_server import PgServer, PgServerUnavailable, discover, find_installed


def test_the_server_runs_unprivileged_on_loopback_without_durability(pg_server: PgServer):
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        settings = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
                (["listen_addresses", "fsync", "synchronous_commit", "max_connections"],),
            ).fetchall()
        )
        data_dir = conn.execute("SHOW data_directory").fetchone()[0]
    assert settings == {
        "listen_addresses": "127.0.0.1",
        "fsync": "off",
        "synchronous_commit": "off",
        "max_connections": "200",
    }
    owner = Path(data_dir).stat().st_uid
    assert owner != 0 and (os.geteuid() == 0 or owner == os.geteuid())
    assert pg_server.process is not None and pg_server.process.poll() is None


def test_each_test_gets_its_own_empty_database(pg_server: PgServer, pg_url: str):
    other = pg_server.create_database()
    try:
        assert other != pg_url and other.startswith("postgresql://postgres@127.0.0.1:")
        with psycopg.connect(pg_url, autocommit=True) as a, psycopg.connect(other) as b:
            tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            assert a.execute(tables).fetchone() == (0,)
            a.execute("CREATE TABLE only_here (x int)")
            a.execute("INSERT INTO only_here VALUES (1)")
            assert b.execute(tables).fetchone() == (0,)
            with pytest.raises(psycopg.errors.UndefinedTable):
                b.execute("SELECT * FROM only_here")
    finally:
        pg_server.drop_database(other)


def test_databases_are_dropped_even_with_a_connection_left_open(pg_server: PgServer):
    url = pg_server.create_database()
    name = url.rsplit("/", 1)[1]
    assert name in pg_server.databases()
    left_open = psycopg.connect(url)
    try:
        pg_server.drop_database(url)
        assert name not in pg_server.databases()
    finally:
        left_open.close()


def test_the_previous_tests_database_is_gone(pg_server: PgServer, pg_url: str):
    # Only this test's own database exists: the fixture dropped those of the tests before it.
    assert pg_server.databases() == {pg_url.rsplit("/", 1)[1]}


def test_discovery_finds_the_binaries_or_says_why_not():
    try:
        bindir = discover()
    except PgServerUnavailable as e:
        assert str(e).startswith("no PostgreSQL server could be found or installed: ")
    else:
        assert (bindir / "postgres").exists() and (bindir / "initdb").exists()
        assert find_installed() in (None, bindir)
