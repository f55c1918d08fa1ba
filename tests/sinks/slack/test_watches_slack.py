"""Watches through the real Slack endpoint (signed /calea requests) and delivery to fake Slack."""

from __future__ import annotations

import json

from slack_sdk import WebClient

from bot.config import Config
from bot.pipeline.deliver import Courier, drain_outbox
from bot.sinks.slack import SlackSink
from bot.sinks.slack.blocks import render_burst
from tests.fakes.slack_api import FakeClock
from tests.sinks.slack.conftest import NOW, assert_valid_blocks, make_alert, poll
from tests.sinks.slack.test_app_http import Running, running  # noqa: F401 - the fixture


def watches(running: Running, channel: str = "C0ALERTS") -> list[str]:  # noqa: F811
    try:
        destination = running.store.subscriptions.destination("slack", channel)
    except KeyError:
        return []
    return [w.label for w in running.store.watches.of(destination.id)]


def test_watch_unwatch_and_list_through_the_endpoint(running: Running) -> None:  # noqa: F811
    assert running.command("watch docket PS Docket No. 22-329").status_code == 200
    reply = running.reply()
    assert reply["response_type"] == "in_channel"
    assert "alice set this channel to watch docket PS 22-329: realtime" in reply["text"]
    assert_valid_blocks(reply["blocks"])
    assert watches(running) == ["docket PS 22-329"]

    running.command("watches")
    listing = running.reply(2)
    assert listing["response_type"] == "ephemeral" and "PS 22-329 · realtime" in listing["text"]

    running.command("unwatch docket PS 22-329")
    assert "stopped watching docket PS 22-329" in running.reply(3)["text"]
    assert watches(running) == []


def test_a_hostile_phrase_is_refused_or_inert(running: Running) -> None:  # noqa: F811
    running.command("watch docket &lt;!channel&gt;")
    refused = running.reply()
    assert "is not one docket" in refused["text"] and "<!channel>" not in json.dumps(refused)
    running.command("watch &lt;!channel&gt; network security")
    accepted = running.reply(2)
    assert "<!channel>" not in json.dumps(accepted)
    assert "&lt;!channel&gt; network security" in accepted["text"]


def test_a_watched_docket_alert_says_why_and_a_topic_match_posts_once(
    running: Running,  # noqa: F811
    config: Config,
    clock: FakeClock,
) -> None:
    running.command("subscribe calea")
    running.command("watch docket PS 22-329")
    running.reply(2)
    store = running.store
    poll(store, config, ["CALEA order adopted"])
    client = WebClient(token=running.slack.token, base_url=running.slack.base_url, timeout=5)
    courier = Courier(SlackSink(client), clock=clock, sleep=clock.sleep)
    drain_outbox(store, {"slack": courier}, now=NOW)
    [message] = running.slack.messages("C0ALERTS")
    assert_valid_blocks(message.blocks)
    assert "*Why*\nwatch: docket PS 22-329" in json.dumps(message.blocks).replace("\\n", "\n")


def test_burst_entries_say_why() -> None:
    [message] = render_burst([make_alert(1, reason="watch: <!channel>"), make_alert(2)])
    assert_valid_blocks(message.blocks)
    text = json.dumps(message.blocks)
    assert "watch: &lt;!channel&gt;" in text and "<!channel>" not in text


def test_a_private_channel_the_bot_is_not_in_is_told_to_invite_it(
    running: Running,  # noqa: F811
) -> None:
    running.slack.fail("conversations.history", error="channel_not_found", times=2)
    running.command("watch docket PS 22-329")
    refused = running.reply()
    assert "/invite @calea-bot" in refused["text"] and "Nothing was changed" in refused["text"]
    running.command("subscribe calea")
    assert "/invite @calea-bot" in running.reply(2)["text"]
    assert watches(running) == [] and running.subscriptions() == []
    running.command("watch docket PS 22-329")  # invited now: the check passes
    assert "set this channel to watch docket PS 22-329" in running.reply(3)["text"]


def test_a_public_channel_the_bot_has_not_joined_is_fine(running: Running) -> None:  # noqa: F811
    running.slack.fail("conversations.history", error="not_in_channel")
    running.command("watch docket PS 22-329")
    assert "set this channel to watch" in running.reply()["text"]
