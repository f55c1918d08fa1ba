"""The store pieces the commands added: user_sources, matter_items, topic counts' migration."""

from __future__ import annotations

import pytest

from bot.models import Health, ParsedItem, Source
from bot.store import Store
from bot.store.migrations import MIGRATIONS
from bot.store.user_sources import DuplicateSourceError
from tests.commands.conftest import NOW, ingest, parsed, record_health

FEED = Source(
    id="user-example-org-rss",
    name="example.org/rss",
    url="https://example.org/rss",
    interval_seconds=1800,
    topics=("calea",),
    public_only=True,
)


def test_user_sources_round_trip_and_refuse_duplicates(store):
    store.user_sources.add(FEED, added_by="U1", added_by_name="alice", platform="slack", now=NOW)
    assert store.user_sources.all() == [FEED]
    record = store.user_sources.get(FEED.id)
    assert (record.added_by, record.added_at) == ("U1", NOW)
    with pytest.raises(DuplicateSourceError):
        store.user_sources.add(FEED, now=NOW)
    with pytest.raises(DuplicateSourceError):  # same URL under another id
        store.user_sources.add(Source(id="user-other", name="x", url=FEED.url), now=NOW)
    assert store.user_sources.get("user-missing") is None


def test_removing_a_user_source_forgets_its_poll_state_but_keeps_items(config, store):
    store.user_sources.add(FEED, now=NOW)
    record_health(store, FEED.id, Health.OK)
    ingest(store, config, FEED.id, [parsed("CALEA update", days_ago=1)])
    assert store.user_sources.remove(FEED.id)
    assert not store.user_sources.remove(FEED.id)
    assert FEED.id not in store.sources.all()
    assert store.queries.item_count() == 1


def test_user_sources_survive_reopening(tmp_path):
    first = Store(tmp_path / "bot.db")
    first.user_sources.add(FEED, now=NOW)
    first.close()
    again = Store(tmp_path / "bot.db")
    assert again.user_sources.all() == [FEED]
    again.close()


def test_the_migration_is_registered_in_order():
    names = [name for name, _ in MIGRATIONS]
    assert names.index("0003_user_sources") == names.index("0002_digests_and_threads") + 1
    assert names == sorted(names)


def test_matter_items_are_the_items_citing_the_matter_newest_first(config, store):
    ingest(
        store,
        config,
        "fcc-edocs",
        [
            parsed("Filing in PS Docket No. 22-329", days_ago=5, n=1),
            parsed("Later filing in PS Docket No. 22-329", days_ago=1, n=2),
            parsed("Unrelated robocall news", days_ago=0, n=3),
            ParsedItem(
                title="Undated filing in PS Docket No. 22-329",
                link="https://docs.fcc.gov/undated",
                guid="undated",
            ),
        ],
    )
    titles = [i.title for i in store.queries.matter_items("calea-network-security", limit=5)]
    assert titles == [
        "Undated filing in PS Docket No. 22-329",  # undated: ordered by first seen (NOW)
        "Later filing in PS Docket No. 22-329",
        "Filing in PS Docket No. 22-329",
    ]
    assert len(store.queries.matter_items("calea-network-security", limit=1)) == 1
    assert store.queries.matter_items("robocalls") == []
