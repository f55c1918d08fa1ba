"""TeamsIntegration from settings; alerts store → outbox → Teams sink → fake Workflows."""

from __future__ import annotations

import base64

import pytest

from bot.commands.context import CommandServices
from bot.config import load_config
from bot.errors import ConfigError
from bot.models import ParsedItem, Source, Topic
from bot.pipeline.analyze import analyze_items
from bot.pipeline.deliver import Courier, drain_outbox
from bot.pipeline.poll import store_items
from bot.settings import load_settings
from bot.sinks.teams import TeamsIntegration, TeamsSinkSettings
from bot.sinks.teams.urls import WebhookUrlPolicy
from bot.store import Store
from bot.store.teams_webhooks import TeamsWebhooks
from tests.fakes.workflows import FakeWorkflows
from tests.sinks.teams.card_checks import assert_valid_card, card_texts
from tests.sinks.teams.helpers import NOW
from tests.sinks.teams.served import write_feeds

SECRET = base64.b64encode(bytes(range(32))).decode()
FCC = Source(id="fcc", name="FCC EDOCS", url="https://www.fcc.gov/feeds/edocs.xml")
TOPICS = (Topic(id="calea", title="CALEA", keywords=("CALEA",)),)
LOOPBACK = WebhookUrlPolicy().with_entries(["http://127.0.0.1"])
FAST = TeamsSinkSettings(min_interval_seconds=0.0, timeout=2.0)


def teams_from(env, services, **options):
    """TeamsIntegration as this environment configures it (None: Teams is off)."""
    return TeamsIntegration.from_settings(load_settings(env).teams, services, **options)


@pytest.fixture
def services(tmp_path):
    store = Store(tmp_path / "bot.db")
    yield CommandServices(config=load_config(write_feeds(tmp_path)), store=store)
    store.close()


@pytest.fixture
def workflows():
    with FakeWorkflows() as fake:
        yield fake


def test_nothing_configured_means_no_teams(services):
    assert teams_from({}, services) is None


def test_a_malformed_secret_is_a_config_error_naming_the_variable(services):
    with pytest.raises(ConfigError, match="TEAMS_OUTGOING_WEBHOOK_SECRET"):
        TeamsIntegration.from_settings(
            load_settings({"TEAMS_OUTGOING_WEBHOOK_SECRET": "not base64!"}).teams, services
        )


def test_a_malformed_allowlist_is_a_config_error(services):
    with pytest.raises(ConfigError, match="CALEA_BOT_TEAMS_ALLOWED_HOSTS"):
        TeamsIntegration.from_settings(
            load_settings({"CALEA_BOT_TEAMS_ALLOWED_HOSTS": "a b"}).teams, services
        )


def test_the_secret_adds_the_messages_route(services):
    teams = TeamsIntegration.from_settings(
        load_settings({"TEAMS_OUTGOING_WEBHOOK_SECRET": SECRET}).teams, services
    )
    try:
        assert teams.sink.platform == "teams"
        (route,) = teams.routes()
        assert (route.path, route.methods) == ("/teams/messages", {"POST"})
    finally:
        teams.stop()


def test_registered_channels_alone_give_a_sink_without_routes(services):
    TeamsWebhooks(services.store.db).add("alerts", "https://a.logic.azure.com/x?sig=s", now=NOW)
    teams = teams_from({}, services)
    try:
        assert teams.sink.platform == "teams" and teams.routes() == []
    finally:
        teams.stop()


def _queue_two_alerts(store: Store) -> None:
    items = [
        ParsedItem(
            title=f"CALEA order {n} [read](https://evil.example)",
            link=f"https://docs.fcc.gov/public/attachments/DOC-41540{n}A1.pdf",
            guid=f"g{n}",
            text="The Commission rescinds the CALEA ruling. Comments due.",
            published=NOW,
        )
        for n in (1, 2)
    ]
    with store.transaction():
        store_items(store, FCC, analyze_items(items, source=FCC, topics=TOPICS), now=NOW)


def test_alerts_flow_from_the_outbox_to_the_channels_workflow(services, workflows):
    store = services.store
    webhook = TeamsWebhooks(store.db).add("alerts", workflows.url(), now=NOW)
    store.subscriptions.subscribe(webhook.destination.id, ["calea"], now=NOW)
    _queue_two_alerts(store)
    teams = TeamsIntegration.from_settings(
        load_settings({}).teams, services, policy=LOOPBACK, sink_settings=FAST
    )
    try:
        report = drain_outbox(
            store, {"teams": Courier(teams.sink)}, now=NOW, source_names={"fcc": "FCC"}
        )
    finally:
        teams.stop()
    assert (report.sent, report.retried, report.failed) == (2, 0, 0)
    assert len(workflows.posts) == 2
    for post in workflows.posts:
        assert_valid_card(post.card)
        assert card_texts(post.card)[1].startswith("NEW · FCC · ")
    assert store.outbox.counts() == {"sent": 2}


def test_a_deleted_workflow_pauses_the_channel_and_keeps_the_alerts(services, workflows):
    store = services.store
    webhook = TeamsWebhooks(store.db).add("alerts", workflows.url(), now=NOW)
    store.subscriptions.subscribe(webhook.destination.id, ["calea"], now=NOW)
    _queue_two_alerts(store)
    workflows.answer(404)
    teams = TeamsIntegration.from_settings(
        load_settings({}).teams, services, policy=LOOPBACK, sink_settings=FAST
    )
    try:
        drain_outbox(store, {"teams": Courier(teams.sink)}, now=NOW)
    finally:
        teams.stop()
    paused = store.subscriptions.destination("teams", "alerts").paused_reason
    assert paused and "no longer exists (404)" in paused
    assert store.outbox.counts() == {"pending": 2}
    assert len(workflows.posts) == 1
