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


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty store in a real SQLite file (modules with special set-up define their own)."""
    store = Store(tmp_path / "bot.db")
    yield store
    store.close()
