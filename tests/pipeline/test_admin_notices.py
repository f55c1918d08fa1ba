"""A broken source is told to the admin channel once, and its recovery once, via the outbox."""

from __future__ import annotations

import asyncio

from slack_sdk import WebClient

from bot.app.build import admin_targets
from bot.common.clock import utc_now
from bot.models import Source
from bot.pipeline.deliver import Courier, drain_outbox
from bot.settings import load_settings
from bot.sinks.slack.sink import SlackSink
from bot.store import Store
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import numbered_entries, rss
from tests.fakes.slack_api import FakeSlackApi
from tests.pipeline.test_poll import make_config, make_pipeline


def _cycles(pipeline, count: int) -> None:
    async def go():
        try:
            for _ in range(count):
                await pipeline.run_cycle()
        finally:
            await pipeline.fetcher.aclose()

    asyncio.run(go())


def test_broken_and_recovered_are_each_told_once_through_the_outbox(tmp_path):
    with FeedServer() as server, FakeSlackApi(min_post_interval=0) as slack:
        server.route("/f", status=404)
        source = Source(id="fcc", name="FCC <!channel>", url=server.url("/f"))
        store = Store(tmp_path / "bot.db")
        pipeline = make_pipeline(make_config(tmp_path, [source]), store)
        pipeline.admin_targets = (("slack", "C0ADMIN"),)
        client = WebClient(token=slack.token, base_url=slack.base_url, timeout=5)
        couriers = {"slack": Courier(SlackSink(client))}
        try:
            _cycles(pipeline, 5)  # broken at the third failure; the 4th and 5th add nothing
            assert len(store.notices.all()) == 1
            drain_outbox(store, couriers, now=utc_now())
            drain_outbox(store, couriers, now=utc_now())  # nothing twice
            (broken,) = slack.messages("C0ADMIN")
            assert "is broken" in broken.text and "3 polls in a row" in broken.text
            assert "<!channel>" not in broken.text and "&lt;!channel&gt;" in broken.text
            server.route("/f", body=rss(numbered_entries("f", 1)))
            _cycles(make_pipeline_like(pipeline), 2)
            drain_outbox(store, couriers, now=utc_now())
            texts = [m.text for m in slack.messages("C0ADMIN")]
            assert len(texts) == 2 and "recovered after 5 failed polls" in texts[1]
            assert [n["state"] for n in store.notices.all()] == ["sent", "sent"]
        finally:
            store.close()


def make_pipeline_like(pipeline):
    again = make_pipeline(pipeline.config, pipeline.store)
    again.admin_targets = pipeline.admin_targets
    return again


def test_a_failed_notice_stays_queued_and_is_retried(tmp_path):
    with FakeSlackApi(min_post_interval=0) as slack:
        store = Store(tmp_path / "bot.db")
        now = utc_now()
        with store.transaction():
            store.notices.enqueue([("slack", "C0ADMIN")], "k", "Source x is broken", now)
            store.notices.enqueue([("slack", "C0ADMIN")], "k", "Source x is broken", now)
        slack.fail("chat.postMessage", status=500)
        client = WebClient(token=slack.token, base_url=slack.base_url, timeout=5)
        couriers = {"slack": Courier(SlackSink(client))}
        try:
            drain_outbox(store, couriers, now=now)
            assert not slack.messages("C0ADMIN")
            assert store.notices.all()[0]["state"] == "pending"
            later = now.replace(year=now.year + 1)
            drain_outbox(store, couriers, now=later)
            assert len(slack.messages("C0ADMIN")) == 1
        finally:
            store.close()


def test_admin_channels_come_from_the_settings():
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
    env |= {"CALEA_BOT_ADMIN_CHANNEL": "C0ADMIN", "CALEA_BOT_TEAMS_ADMIN_CHANNEL": "Ops"}
    assert admin_targets(load_settings(env)) == (("slack", "C0ADMIN"), ("teams", "Ops"))
    # Without Slack configured the Slack channel is ignored (nobody could deliver it).
    assert admin_targets(load_settings({"CALEA_BOT_ADMIN_CHANNEL": "C0ADMIN"})) == ()


def test_a_teams_admin_channel_gets_a_valid_inert_card(tmp_path):
    from bot.sinks.teams.sink import TeamsSink
    from bot.sinks.teams.urls import WebhookUrlPolicy
    from tests.fakes.workflows import FakeWorkflows
    from tests.sinks.teams.card_checks import assert_valid_card, card_texts

    with FakeWorkflows() as workflows:
        urls = {"Ops": workflows.url()}
        policy = WebhookUrlPolicy().with_entries(["http://127.0.0.1"])
        sink = TeamsSink(lambda d: urls.get(d.address), policy=policy)
        store = Store(tmp_path / "bot.db")
        now = utc_now()
        try:
            with store.transaction():
                text = "Source [x](https://evil.example) is broken"
                store.notices.enqueue([("teams", "Ops"), ("teams", "Gone")], "k", text, now)
            drain_outbox(store, {"teams": Courier(sink)}, now=now)
            (post,) = workflows.posts
            assert_valid_card(post.card)
            assert "is broken" in " ".join(card_texts(post.card))
            assert "](https://evil.example)" not in post.body.decode()
            states = {n["address"]: n["state"] for n in store.notices.all()}
            assert states == {"Ops": "sent", "Gone": "pending"}  # unregistered: kept, retried
        finally:
            sink.close()
            store.close()
