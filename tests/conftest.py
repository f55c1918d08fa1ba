"""Shared pytest fixtures. Keep each fixture small and documented; helpers live in tests/fakes/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.feed_server import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A started loopback feed server (tests/fakes/feed_server.py), stopped after the test."""
    with FeedServer() as server:
        yield server
