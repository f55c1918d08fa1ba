"""Shared pytest fixtures. Keep each fixture small and documented; helpers live in tests/fakes/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store
from tests.fakes.feed_server import FeedServer
from tests.pg_server import PgServer, PgServerUnavailable, start_server

#: Fixtures that need the PostgreSQL server; tests using them get the `postgres` marker.
POSTGRES_FIXTURES = {"pg_server", "pg_url"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a PostgreSQL fixture `postgres` (`-m "not postgres"`)."""
    for item in items:
        if POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A started loopback feed server (tests/fakes/feed_server.py), stopped after the test."""
    with FeedServer() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's database lives: a SQLite file, then (second run) a fresh PostgreSQL
    database on the test run's own server — the same test holds for both stores."""
    if request.param == "sqlite":
        return tmp_path / "bot.db"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_target: Path | str) -> Iterator[Store]:
    """An empty store, in SQLite and in PostgreSQL (modules with special set-up define their
    own)."""
    store = Store(db_target)
    yield store
    store.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for the session (tests/pg_server.py), started on first use.

    Skips the test, with the reason, when no server can be found or installed.
    """
    try:
        server = start_server()
    except PgServerUnavailable as e:
        pytest.skip(str(e))
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh empty database for this test, `postgresql://postgres@127.0.0.1:PORT/t_…`.

    Dropped afterwards, with any connection still open to it.
    """
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)
