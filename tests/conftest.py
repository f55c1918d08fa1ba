"""Shared pytest fixtures. Keep each fixture small and documented; helpers live in tests/fakes/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store
from tests.fakes.feed_server import FeedServer


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


@pytest.fixture
def pg_url() -> Iterator[str]:
    """TEMPORARY (dev server): a fresh PostgreSQL database URL."""
    import uuid

    import psycopg

    admin = "postgresql://postgres@127.0.0.1:55432/postgres"
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield f"postgresql://postgres@127.0.0.1:55432/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
