"""subscribe, unsubscribe, subscriptions and topics, against real subscription rows."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.commands.reply import Facts, Paragraph
from bot.store.topic_counts import recent_topic_counts
from tests.commands.conftest import NOW, ingest, make_ctx, parsed, run


def rows(store) -> list[tuple]:
    return store.db.execute(
        "SELECT d.platform, d.address, d.name, s.topic, s.mode, s.created_by "
        "FROM subscriptions s JOIN destinations d ON d.id = s.destination_id ORDER BY s.topic"
    ).fetchall()


def test_subscribe_creates_the_destination_and_subscribes(ctx, services, store):
    reply = run("subscribe calea robocalls", ctx, services)
    assert reply.ok and reply.changed and reply.in_channel
    assert rows(store) == [
        ("slack", "C0COMPLIANCE", "compliance", "calea", "realtime", "U-alice"),
        ("slack", "C0COMPLIANCE", "compliance", "robocalls", "realtime", "U-alice"),
    ]
    assert "calea (CALEA & lawful intercept), robocalls (Robocalls & caller ID)" in reply.text
    assert "as they arrive" in reply.text


def test_daily_mode_mentions_the_digest_time_and_resubscribing_changes_the_mode(
    ctx, services, store
):
    run("subscribe calea", ctx, services)
    reply = run("subscribe Daily CALEA", ctx, services)
    assert "one digest a day at 08:30" in reply.text
    assert "Changed from realtime to daily." in reply.text
    assert [r[3:5] for r in rows(store)] == [("calea", "daily")]


def test_all_and_star_subscribe_to_everything(ctx, services, store):
    assert "all topics" in run("subscribe all", ctx, services).text
    run("subscribe * calea", make_ctx(channel="C2"), services)
    assert [(r[1], r[3]) for r in rows(store)] == [("C0COMPLIANCE", "*"), ("C2", "*")]


def test_unknown_topic_suggests_the_closest_and_subscribes_nothing(ctx, services, store):
    reply = run("subscribe calea robocall", ctx, services)
    assert not reply.ok
    assert "“robocall” is not a topic. Did you mean “robocalls”?" in reply.text
    assert "Usage: subscribe <topic…> [realtime|daily]" in reply.text
    assert rows(store) == []
    assert store.subscriptions.destinations() == []


def test_subscribing_does_not_resume_a_paused_channel(ctx, services, store):
    destination = store.subscriptions.ensure_destination("slack", ctx.channel, now=NOW)
    store.subscriptions.pause(destination.id, "is_archived", now=NOW)
    reply = run("subscribe calea", ctx, services)
    assert "paused (is_archived)" in reply.text
    assert store.subscriptions.destination("slack", ctx.channel).paused_reason == "is_archived"


def test_unsubscribe_some_topics(ctx, services, store):
    run("subscribe calea robocalls spectrum", ctx, services)
    reply = run("unsubscribe robocalls spectrum cybersecurity", ctx, services)
    assert reply.ok and reply.changed
    assert "unsubscribed this channel from robocalls" in reply.text
    assert "Not subscribed to: cybersecurity." in reply.text
    assert [r[3] for r in rows(store)] == ["calea"]


def test_unsubscribe_all(ctx, services, store):
    run("subscribe calea robocalls", ctx, services)
    assert run("unsubscribe all", ctx, services).changed
    assert rows(store) == []


def test_unsubscribe_without_subscriptions_changes_nothing(ctx, services, store):
    reply = run("unsubscribe calea", ctx, services)
    assert reply.ok and not reply.changed
    assert "no subscriptions" in reply.text
    assert store.subscriptions.destinations() == []


def test_unsubscribe_one_topic_while_subscribed_to_all_explains(ctx, services, store):
    run("subscribe all", ctx, services)
    reply = run("unsubscribe calea", ctx, services)
    assert not reply.changed
    assert "still receives all topics" in reply.text


def test_a_topic_removed_from_feeds_yaml_can_still_be_unsubscribed(ctx, services, store):
    destination = store.subscriptions.ensure_destination("slack", ctx.channel, now=NOW)
    store.subscriptions.subscribe(destination.id, ["old-topic"], now=NOW)
    listing = run("subscriptions", ctx, services)
    assert "old-topic (no longer in feeds.yaml)" in listing.text
    assert run("unsubscribe old-topic", ctx, services).changed
    assert rows(store) == []


def test_subscriptions_lists_topics_and_modes(ctx, services):
    assert "no subscriptions" in run("subscriptions", ctx, services).text
    run("subscribe calea", ctx, services)
    run("subscribe robocalls daily", ctx, services)
    reply = run("subscriptions", ctx, services)
    pairs = next(b for b in reply.blocks if isinstance(b, Facts)).pairs
    assert pairs == (
        ("calea", "CALEA & lawful intercept · realtime"),
        ("robocalls", "Robocalls & caller ID · daily digest at 08:30"),
    )


def test_topics_lists_every_topic_with_its_30_day_count(config, ctx, services, stocked):
    run("subscribe robocalls daily", ctx, services)
    reply = run("topics", ctx, services)
    texts = [b.text for b in reply.blocks if isinstance(b, Paragraph) and b.untrusted]
    assert len(texts) == len(config.topics)
    by_id = {text.split(" — ")[0]: text for text in texts}
    # The 45-day-old CALEA item is not counted.
    assert by_id["calea"].startswith("calea — CALEA & lawful intercept: 1 item in the last 30 days")
    assert "Communications Assistance for Law Enforcement Act" in by_id["calea"]
    assert "2 items" in by_id["cybersecurity"]
    assert by_id["robocalls"].split("\n")[0].endswith("· subscribed here (daily)")
    assert "0 items" in by_id["spectrum"]


def test_topic_counts_count_an_event_once_and_undated_items_by_first_seen(config, stocked):
    same_document = parsed(
        "Order on Reconsideration rescinds the CALEA declaratory ruling", days_ago=10
    )
    ingest(stocked, config, "federal-register-fcc", [same_document])  # same link: same event
    undated = dataclasses.replace(
        parsed("CALEA compliance reminder", days_ago=0, n=7), published=None
    )
    ingest(stocked, config, "fcc-edocs-orders", [undated])
    counts = recent_topic_counts(stocked.db, NOW - dt.timedelta(days=30))
    assert counts["calea"] == 2  # the ruling (two sources, one event) and the undated reminder
    assert counts["robocalls"] == 1
    assert "spectrum" not in counts
