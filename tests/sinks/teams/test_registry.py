"""Registered Teams channels in SQLite (bot.store.teams_webhooks) and the sink's look-up."""

from __future__ import annotations

import pytest

from bot.sinks.teams.registry import StoredWebhookUrls
from bot.store import Store
from bot.store.database import iso
from bot.store.teams_webhooks import TeamsWebhookConflict, TeamsWebhooks
from tests.sinks.teams.helpers import NOW

URL_A = "https://a.logic.azure.com/workflows/a/invoke?sig=AAA"
URL_B = "https://b.logic.azure.com/workflows/b/invoke?sig=BBB"
CHANNEL = "19:abc123@thread.tacv2"


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "bot.db")
    yield store
    store.close()


@pytest.fixture
def webhooks(store):
    return TeamsWebhooks(store.db)


def test_add_get_list_and_url(webhooks, store):
    added = webhooks.add("alerts", URL_A, now=NOW)
    assert added.name == "alerts" and added.url == URL_A and added.channel_id is None
    assert added.destination.platform == "teams" and added.destination.address == "alerts"
    assert webhooks.get_url("alerts") == URL_A
    assert webhooks.get_url("other") is None
    assert [w.name for w in webhooks.list()] == ["alerts"]
    # It is an ordinary destination: the command layer finds it by (platform, address).
    assert store.subscriptions.destination("teams", "alerts").id == added.destination.id


def test_a_name_is_added_once_unless_replaced_which_resumes(webhooks, store):
    added = webhooks.add("alerts", URL_A, channel_id=CHANNEL, now=NOW)
    with pytest.raises(TeamsWebhookConflict, match="--replace"):
        webhooks.add("alerts", URL_B, now=NOW)
    store.subscriptions.pause(added.destination.id, "404", now=NOW)
    replaced = webhooks.add("alerts", URL_B, replace=True, now=NOW)
    assert replaced.url == URL_B
    assert replaced.channel_id == CHANNEL  # the link is kept
    assert replaced.destination.paused_reason is None


def test_urls_and_channel_ids_belong_to_one_name(webhooks):
    webhooks.add("alerts", URL_A, channel_id=CHANNEL, now=NOW)
    with pytest.raises(
        TeamsWebhookConflict, match="already registered as Teams channel 'alerts'"
    ) as caught:
        webhooks.add("other", URL_A, now=NOW)
    assert "sig=" not in str(caught.value)
    with pytest.raises(TeamsWebhookConflict, match="already linked to 'alerts'"):
        webhooks.add("other", URL_B, channel_id=CHANNEL, now=NOW)
    assert [w.name for w in webhooks.list()] == ["alerts"]


def test_link_and_find_by_channel_id(webhooks):
    webhooks.add("alerts", URL_A, now=NOW)
    assert webhooks.by_channel_id(CHANNEL) is None
    webhooks.link("alerts", CHANNEL)
    assert webhooks.by_channel_id(CHANNEL).name == "alerts"
    webhooks.link("alerts", None)
    assert webhooks.by_channel_id(CHANNEL) is None
    with pytest.raises(KeyError):
        webhooks.link("missing", CHANNEL)


def test_remove_deletes_subscriptions_and_queued_alerts(webhooks, store):
    added = webhooks.add("alerts", URL_A, now=NOW)
    other = store.subscriptions.ensure_destination("console", "stdout", now=NOW)
    for destination_id in (added.destination.id, other.id):
        store.subscriptions.subscribe(destination_id, ["calea", "e911"], now=NOW)
        store.db.execute(
            "INSERT INTO outbox (event_id, destination_id, action, revision, next_attempt_at, "
            "created_at) VALUES (1, ?, 'new', 1, ?, ?)",
            [destination_id, iso(NOW), iso(NOW)],
        )
    removed = webhooks.remove("alerts")
    assert (removed.subscriptions, removed.queued_alerts) == (2, 1)
    assert webhooks.get("alerts") is None
    assert webhooks.remove("alerts") is None
    assert len(store.subscriptions.of(other.id)) == 2  # others untouched
    assert store.db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 1


def test_the_sinks_lookup_reads_the_current_url(webhooks, store):
    added = webhooks.add("alerts", URL_A, now=NOW)
    lookup = StoredWebhookUrls(store.target)
    assert lookup(added.destination) == URL_A
    webhooks.add("alerts", URL_B, replace=True, now=NOW)
    assert lookup(added.destination) == URL_B
    webhooks.remove("alerts")
    assert lookup(added.destination) is None
