"""Outbox semantics: digests, pauses, retries with backoff, threads per proceeding."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.alerts.policy import AlertLimits
from bot.models import DeliveryOutcome, ParsedItem, Source, Topic
from bot.pipeline.analyze import analyze_items
from bot.pipeline.poll import store_items
from bot.store import Store

NOW = dt.datetime(2025, 11, 21, 12, 0, tzinfo=dt.UTC)
SRC = Source(id="fcc", name="FCC", url="https://example.gov/rss")
TOPICS = (
    Topic(id="calea", title="CALEA", keywords=("CALEA",)),
    Topic(id="robocalls", title="Robocalls", keywords=("robocall",)),
)


def items(*titles: str):
    parsed = [
        ParsedItem(
            title=t,
            link=f"https://example.gov/{n}",
            guid=str(n),
            published=NOW,
            text="PS Docket No. 22-329." if "CALEA" in t else "",
        )
        for n, t in enumerate(titles)
    ]
    return analyze_items(parsed, source=SRC, topics=TOPICS)


@pytest.fixture
def store(db_target):
    store = Store(db_target)
    yield store
    store.close()


def ingest(store, batch, digest_at=None):
    with store.transaction():
        return store_items(
            store,
            SRC,
            batch,
            now=NOW,
            limits=AlertLimits(max_alerts_per_poll=50),
            digest_at=digest_at,
        )


def test_daily_subscription_waits_for_the_digest_realtime_goes_now(store):
    daily = store.subscriptions.ensure_destination("slack", "CDAILY", now=NOW)
    live = store.subscriptions.ensure_destination("slack", "CLIVE", now=NOW)
    store.subscriptions.subscribe(daily.id, ["calea"], mode="daily", now=NOW)
    store.subscriptions.subscribe(live.id, ["calea"], now=NOW)
    digest_at = NOW + dt.timedelta(hours=8)
    ingest(store, items("CALEA order"), digest_at=digest_at)
    now_claims = store.outbox.claim_due(NOW, platforms=["slack"])
    assert [(c.destination.address, c.digest) for c in now_claims] == [("CLIVE", False)]
    later = store.outbox.claim_due(digest_at, platforms=["slack"])
    assert [(c.destination.address, c.digest) for c in later] == [("CDAILY", True)]


def test_pause_keeps_the_alert_and_stops_delivery_until_resumed(store):
    dest = store.subscriptions.ensure_destination("slack", "C1", now=NOW)
    store.subscriptions.subscribe(dest.id, ["*"], now=NOW)
    ingest(store, items("CALEA order", "Robocall rule"))
    claimed = store.outbox.claim_due(NOW, platforms=["slack"])
    outcomes = [DeliveryOutcome(c.alert.outbox_id, "pause", "channel_not_found") for c in claimed]
    store.outbox.record(outcomes, NOW, claimed)
    assert store.subscriptions.destinations()[0].paused_reason == "channel_not_found"
    assert store.outbox.claim_due(NOW, platforms=["slack"]) == []
    assert store.outbox.counts() == {"pending": 2}
    store.subscriptions.resume(dest.id)
    assert len(store.outbox.claim_due(NOW, platforms=["slack"])) == 2


def test_retry_backs_off_and_honours_retry_after(store):
    dest = store.subscriptions.ensure_destination("slack", "C1", now=NOW)
    store.subscriptions.subscribe(dest.id, ["*"], now=NOW)
    ingest(store, items("CALEA order"))
    claimed = store.outbox.claim_due(NOW, platforms=["slack"])
    store.outbox.record(
        [DeliveryOutcome(claimed[0].alert.outbox_id, "retry", "429", 7)], NOW, claimed
    )
    assert store.outbox.claim_due(NOW + dt.timedelta(seconds=6), platforms=["slack"]) == []
    again = store.outbox.claim_due(NOW + dt.timedelta(seconds=7), platforms=["slack"])
    assert again[0].attempts == 2
    store.outbox.record([DeliveryOutcome(again[0].alert.outbox_id, "retry", "500")], NOW, again)
    assert store.outbox.claim_due(NOW + dt.timedelta(seconds=59), platforms=["slack"]) == []
    assert store.outbox.claim_due(NOW + dt.timedelta(seconds=60), platforms=["slack"])


def test_first_post_on_a_proceeding_becomes_its_thread(store):
    dest = store.subscriptions.ensure_destination("slack", "C1", now=NOW)
    store.subscriptions.subscribe(dest.id, ["*"], now=NOW)
    ingest(store, items("CALEA order"))
    first = store.outbox.claim_due(NOW, platforms=["slack"])
    assert first[0].thread_ref is None and first[0].alert.thread_key == "docket:PS 22-329"
    store.outbox.record(
        [DeliveryOutcome(first[0].alert.outbox_id, "sent", ref="111.1")], NOW, first
    )
    with store.transaction():
        store_items(
            store,
            SRC,
            analyze_items(
                [
                    ParsedItem(
                        title="CALEA follow-up",
                        link="https://example.gov/x",
                        guid="x",
                        text="PS Docket No. 22-329.",
                    )
                ],
                source=SRC,
                topics=TOPICS,
            ),
            now=NOW,
        )
    second = store.outbox.claim_due(NOW, platforms=["slack"])
    assert second[0].thread_ref == "111.1"


def test_recover_in_flight_returns_claimed_rows_to_pending(store):
    dest = store.subscriptions.ensure_destination("console", "stdout", now=NOW)
    store.subscriptions.subscribe(dest.id, ["*"], now=NOW)
    ingest(store, items("CALEA order"))
    assert len(store.outbox.claim_due(NOW, platforms=["console"])) == 1
    assert store.outbox.claim_due(NOW, platforms=["console"]) == []
    assert store.outbox.recover_in_flight() == 1
    assert len(store.outbox.claim_due(NOW, platforms=["console"])) == 1


def test_a_failure_while_recording_hands_claimed_alerts_back(store):
    from bot.alerts.planner import GroupingRules
    from bot.models import SendResult
    from bot.pipeline.deliver import Courier, drain_outbox

    dest = store.subscriptions.ensure_destination("console", "stdout", now=NOW)
    store.subscriptions.subscribe(dest.id, ["*"], now=NOW)
    ingest(store, items("CALEA order", "Robocall rule"))

    class Sink:
        platform = "console"
        rules = GroupingRules()

        def send(self, message, pace):
            store.db.execute("DROP TABLE IF EXISTS threads")  # recording will now fail
            return SendResult("sent", ref="r")

    with pytest.raises(Exception, match="threads"):
        drain_outbox(store, {"console": Courier(Sink())}, now=NOW)
    # Each message is recorded as it goes: the robocall alert (no thread to record) is sent;
    # the CALEA one, whose record failed, is handed back to the queue, not left 'sending'.
    assert store.outbox.counts() == {"pending": 1, "sent": 1}
