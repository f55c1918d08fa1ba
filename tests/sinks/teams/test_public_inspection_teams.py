"""Public inspection in Teams: the published copy arrives as an UPDATED card, not a new alert."""

from __future__ import annotations

import datetime as dt

from bot.config import load_config
from bot.models import Watch
from bot.pipeline.deliver import drain_outbox
from bot.store import Store
from tests.feeds.test_public_inspection import FR, PI, sample
from tests.sinks.slack.test_public_inspection_slack import poll
from tests.sinks.teams.card_checks import assert_valid_card, card_texts
from tests.sinks.teams.served import write_feeds
from tests.sinks.teams.test_sink import sink_for, workflows  # noqa: F401 - the fixture

NOW = dt.datetime(2025, 12, 12, 15, 0, tzinfo=dt.UTC)


def test_published_document_is_an_updated_card(store: Store, tmp_path, workflows):  # noqa: F811
    config = load_config(write_feeds(tmp_path))
    channel = store.subscriptions.ensure_destination("teams", "alerts", now=NOW)
    store.watches.add(Watch(channel.id, "docket", "PS 22-329"), now=NOW)
    couriers = {"teams": sink_for(workflows.url())}

    poll(store, config, PI, sample("public_inspection.json"), NOW)
    drain_outbox(store, couriers, now=NOW)
    later = NOW + dt.timedelta(days=3)
    poll(store, config, FR, sample("federal_register.json"), later)
    drain_outbox(store, couriers, now=later)

    first, second = (post.card for post in workflows.posts)
    for card in (first, second):
        assert_valid_card(card)
    early, published = " ".join(card_texts(first)), " ".join(card_texts(second))
    assert "On public inspection — publishes 2025-12-15" in early
    assert "UPDATED" in published and "On public inspection" not in published
    assert "watch: docket PS 22-329" in published  # the reason survives the update
    actions = [row[0] for row in store.db.execute("SELECT action FROM outbox ORDER BY id")]
    assert actions == ["new", "update"]
