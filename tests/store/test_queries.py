"""Search, latest and matter look-ups: the fast newest-first paths agree with plain sorting.

The fast paths only start on large stores, so the limits are shrunk here to run every path
(sort everything, probe the newest items, walk with the match set, windowed walks and their
fallback) on a few hundred items, and the answers are compared with the plain queries.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from bot.models import Matter, ParsedItem, Source, Topic
from bot.pipeline.analyze import analyze_items
from bot.pipeline.poll import store_items
from bot.store import Store
from bot.store.queries import Queries

NOW = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
TOPICS = (
    Topic(id="calea", title="CALEA", keywords=("CALEA",)),
    Topic(id="robocalls", title="Robocalls", keywords=("robocall",)),
    Topic(id="rare", title="Rare", keywords=("Hikvision",)),
)
MATTERS = (Matter(id="calea-matter", title="CALEA", dockets=("PS 22-329",)),)
WORDS = ["CALEA", "robocall", "spectrum", "auction", "Hikvision", "outage", "broadband"]


def build(tmp_path, count: int = 400) -> Store:
    rng = random.Random(7)
    store = Store(tmp_path / "q.db")
    source = Source(id="s", name="S", url="https://example.gov/rss")
    parsed = []
    for n in range(count):
        word = rng.choices(WORDS, weights=[30, 40, 10, 10, 1, 5, 4])[0]
        docket = " PS Docket No. 22-329." if rng.random() < 0.2 else ""
        day = None if rng.random() < 0.1 else NOW - dt.timedelta(days=rng.randrange(60))
        parsed.append(
            ParsedItem(
                title=f"Notice {n} on {word}",
                link=f"https://example.gov/{n}",
                guid=str(n),
                text=f"The {word} item {n}.{docket}",
                published=day,
            )
        )
    for start in range(0, count, 50):
        batch = analyze_items(
            parsed[start : start + 50], source=source, topics=TOPICS, matters=MATTERS
        )
        with store.transaction():
            store_items(store, source, batch, now=NOW + dt.timedelta(seconds=start))
    return store


def plain(store: Store) -> Queries:
    queries = Queries(store.db)
    queries.sort_all_max = 10**9
    queries.walk_window = 10**9
    return queries


SHRUNK = [
    dict(sort_all_max=5, common_share=0.05, probe_window_max=10**6, walk_window=25),
    dict(sort_all_max=5, common_share=0.9, probe_window_max=30, walk_window=5),
    dict(sort_all_max=0, common_share=0.0, probe_window_max=0, walk_window=1),
]


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    store = build(tmp_path_factory.mktemp("queries"))
    yield store
    store.close()


def ids(items) -> list[int]:
    return [item.id for item in items]


@pytest.mark.parametrize("limits", SHRUNK)
@pytest.mark.parametrize("query", ["robocall", "CALEA", "Hikvision", "notice", "22-329", "zz"])
def test_search_pages_match_plain_sorting(stores, limits, query):
    fast = Queries(stores.db)
    for name, value in limits.items():
        setattr(fast, name, value)
    for offset in (0, 5, 40):
        expected = ids(plain(stores).search(query, limit=5, offset=offset))
        assert ids(fast.search(query, limit=5, offset=offset)) == expected


@pytest.mark.parametrize("limits", SHRUNK)
def test_latest_and_matter_items_match_plain_sorting(stores, limits):
    fast = Queries(stores.db)
    for name, value in limits.items():
        setattr(fast, name, value)
    for topic in (None, "calea", "robocalls", "rare", "missing"):
        assert ids(fast.latest(topic=topic, limit=7)) == ids(
            plain(stores).latest(topic=topic, limit=7)
        )
    assert ids(fast.matter_items("calea-matter", limit=6)) == ids(
        plain(stores).matter_items("calea-matter", limit=6)
    )
    assert fast.latest(topic="calea", limit=3)
    assert all("calea" in item.topics for item in fast.latest(topic="calea", limit=10))
