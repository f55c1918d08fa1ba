"""Dedupe, updates, cross-source events, quiet backlog and storm guard, on a real SQLite file."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.alerts.policy import AlertLimits
from bot.models import DeliveryOutcome, ParsedItem, Source, Topic
from bot.pipeline.analyze import analyze_items
from bot.pipeline.poll import store_items
from bot.store import Store

NOW = dt.datetime(2025, 11, 21, 12, 0, tzinfo=dt.UTC)
FCC = Source(id="fcc", name="FCC EDOCS", url="https://api2.fcc.gov/edocs/public/api/v1/rss/")
FR = Source(id="fr", name="Federal Register", url="https://www.federalregister.gov/x.rss")
TOPICS = (Topic(id="calea", title="CALEA", keywords=("CALEA",)),)


def item(n: int, **changes) -> ParsedItem:
    values = {
        "title": f"CALEA item {n}",
        "link": f"https://docs.fcc.gov/public/attachments/DOC-4154{n:02d}A1.pdf",
        "guid": f"guid-{n}",
        "text": f"Text of item {n}.",
        "published": NOW - dt.timedelta(hours=n),
    }
    values.update(changes)
    return ParsedItem(**values)


def analysed(source: Source, *items: ParsedItem):
    return analyze_items(items, source=source, topics=TOPICS)


@pytest.fixture
def store(db_target):
    store = Store(db_target)
    console = store.subscriptions.ensure_destination("console", "stdout", now=NOW)
    store.subscriptions.subscribe(console.id, ["*"], now=NOW)
    yield store
    store.close()


def ingest(store: Store, source: Source, items, *, first_poll=False, **policy):
    with store.transaction():
        return store_items(
            store, source, items, now=NOW, first_poll=first_poll, limits=AlertLimits(**policy)
        )


def pending(store: Store) -> list[tuple]:
    return store.db.execute(
        "SELECT event_id, action, revision FROM outbox WHERE state = 'pending' ORDER BY id"
    ).fetchall()


def test_new_items_are_stored_and_alerted_once(store):
    first = ingest(store, FCC, analysed(FCC, item(1), item(2)))
    again = ingest(store, FCC, analysed(FCC, item(1), item(2)))
    assert (first.new, first.alerts_queued) == (2, 2)
    assert (again.new, again.seen, again.alerts_queued) == (0, 2, 0)
    assert len(pending(store)) == 2
    assert store.queries.item_count() == 2


def test_changed_content_under_same_guid_is_an_update_not_a_new_alert(store):
    ingest(store, FCC, analysed(FCC, item(1)))
    claimed = store.outbox.claim_due(NOW, platforms=["console"])
    store.outbox.record([DeliveryOutcome(claimed[0].alert.outbox_id, "sent", ref="m1")], NOW)
    result = ingest(store, FCC, analysed(FCC, item(1, text="Corrected: comments due later.")))
    assert (result.new, result.updated) == (0, 1)
    assert [row[1:] for row in pending(store)] == [("update", 2)]
    versions = store.db.execute("SELECT revision FROM item_versions").fetchall()
    assert versions == [(2,)]
    update = store.outbox.claim_due(NOW, platforms=["console"])[0]
    assert (update.alert.action, update.ref) == ("update", "m1")
    assert "Corrected" in update.alert.summary


def test_an_update_before_the_first_alert_went_out_queues_nothing_more(store):
    ingest(store, FCC, analysed(FCC, item(1)))
    result = ingest(store, FCC, analysed(FCC, item(1, text="Corrected text.")))
    assert result.updated == 1
    queued = store.outbox.claim_due(NOW, platforms=["console"])
    assert [(c.alert.action, c.alert.summary) for c in queued] == [("new", "Corrected text.")]


def test_guid_churn_does_not_repost(store):
    ingest(store, FCC, analysed(FCC, item(1), item(2)))
    churned = [item(1, guid="fresh-a"), item(2, guid="fresh-b")]
    result = ingest(store, FCC, analysed(FCC, *churned))
    assert (result.new, result.seen) == (0, 2)
    assert len(pending(store)) == 2


def test_guid_and_link_churn_is_caught_by_content_hash(store):
    ingest(store, FCC, analysed(FCC, item(1)))
    churned = item(1, guid="x-1", link="https://docs.fcc.gov/public/attachments/DOC-999999A1.pdf")
    result = ingest(store, FCC, analysed(FCC, churned))
    assert (result.new, result.seen) == (0, 1)


def test_same_document_from_two_sources_is_one_alert_also_in_the_other(store):
    ingest(store, FCC, analysed(FCC, item(1)))
    same_doc = item(1, guid="fr-guid", title="Different title, same document")
    result = ingest(store, FR, analysed(FR, same_doc))
    assert (result.new, result.also_in, result.alerts_queued) == (1, 1, 0)
    event_ids = store.db.execute("SELECT DISTINCT event_id FROM items").fetchall()
    assert len(event_ids) == 1
    claimed = store.outbox.claim_due(NOW, platforms=["console"])
    assert claimed[0].alert.also_in == ("fr",)


def test_first_poll_alerts_only_the_newest_few(store):
    backlog = analysed(FCC, *(item(n) for n in range(10)))
    result = ingest(store, FCC, backlog, first_poll=True, first_poll_alerts=3)
    assert (result.new, result.alerts_queued, result.quiet) == (10, 3, 7)
    alerted = {c.alert.title for c in store.outbox.claim_due(NOW, platforms=["console"])}
    assert alerted == {"CALEA item 0", "CALEA item 1", "CALEA item 2"}


def test_storm_guard_caps_alerts_and_warns(store):
    ingest(store, FCC, analysed(FCC, item(99)), first_poll=True)
    storm = analysed(FCC, *(item(n) for n in range(30)))
    result = ingest(store, FCC, storm, max_alerts_per_poll=5)
    assert (result.new, result.alerts_queued, result.quiet) == (30, 5, 25)
    assert "max_alerts_per_poll" in result.warnings[0]


def test_duplicate_guids_within_one_feed_for_different_items_are_both_kept(store):
    # A broken feed that gives every item the same GUID: the GUID is ignored as identity.
    items = analysed(FCC, item(1, guid="same"), item(2, guid="same"))
    result = ingest(store, FCC, items)
    assert result.new == 2


def test_exact_duplicate_entries_in_one_feed_count_once(store):
    result = ingest(store, FCC, analysed(FCC, item(1), item(1)))
    assert (result.new, result.seen) == (1, 1)


def test_items_without_subscribers_queue_nothing(tmp_path):
    store = Store(tmp_path / "empty.db")
    result = ingest(store, FCC, analysed(FCC, item(1)))
    assert (result.new, result.alerts_queued) == (1, 0)
    store.close()


def test_topic_subscription_routes_only_matching_events(tmp_path):
    store = Store(tmp_path / "topics.db")
    dest = store.subscriptions.ensure_destination("slack", "C1", now=NOW)
    store.subscriptions.subscribe(dest.id, ["robocalls"], now=NOW)
    result = ingest(store, FCC, analysed(FCC, item(1)))
    assert result.alerts_queued == 0
    store.subscriptions.subscribe(dest.id, ["calea"], now=NOW)
    result = ingest(store, FCC, analysed(FCC, item(2)))
    assert result.alerts_queued == 1
    store.close()


def test_rollback_stores_nothing(store):
    with pytest.raises(RuntimeError), store.transaction():
        store_items(store, FCC, analysed(FCC, item(1)), now=NOW)
        raise RuntimeError("killed mid-write")
    assert store.queries.item_count() == 0
    assert pending(store) == []


def test_search_finds_items_newest_first_and_neutralises_fts_syntax(store):
    ingest(store, FCC, analysed(FCC, item(1), item(2), item(3, title="Robocall order")))
    titles = [i.title for i in store.queries.search("CALEA")]
    assert titles == ["CALEA item 1", "CALEA item 2"]
    assert store.queries.search('CALEA" OR title:*') == []
    assert store.queries.search("   ") == []
