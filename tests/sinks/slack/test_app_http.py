"""The Bolt app behind the real HTTP endpoint: requests arrive form-encoded and signed, as
Slack sends them, to POST /slack/events served by bot.app.web's uvicorn server on loopback."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from bot.commands.context import CommandServices
from bot.settings import load_settings
from bot.sinks.slack import SlackIntegration
from bot.store import Store
from tests.fakes.served import served
from tests.fakes.slack_api import (
    FakeSlackApi,
    block_action_body,
    event_body,
    signed_headers,
    slash_command_body,
)
from tests.sinks.slack.conftest import HOSTILE_TITLE, assert_valid_blocks, poll

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
FORM = "application/x-www-form-urlencoded"


def slack_from(env, services):
    """SlackIntegration as this environment configures it (None: Slack is off)."""
    return SlackIntegration.from_settings(load_settings(env).slack, services)


@dataclass
class Running:
    """The bot's Slack endpoint, live on 127.0.0.1, and the fake Slack it talks to."""

    url: str
    slack: FakeSlackApi
    integration: SlackIntegration
    store: Store  # a second connection to the bot's database (the app's own is not shared)

    def post(self, body: str, headers: dict[str, str]) -> httpx.Response:
        return httpx.post(self.url, content=body.encode(), headers=headers, timeout=5)

    def command(self, text: str, **fields: str) -> httpx.Response:
        """A signed /calea command."""
        body = slash_command_body(text, response_url=self.slack.response_url(), **fields)
        return self.post(body, signed_headers(SECRET, body, content_type=FORM))

    def reply(self, count: int = 1) -> dict:
        """Wait for the `count`-th body posted to the response_url and return it."""
        assert self.slack.wait_for(lambda: len(self.slack.responses) >= count), "no reply"
        return self.slack.responses[count - 1]

    def subscriptions(self, channel: str = "C0ALERTS") -> list[str]:
        try:
            destination = self.store.subscriptions.destination("slack", channel)
        except KeyError:
            return []
        return [s.topic for s in self.store.subscriptions.of(destination.id)]


@pytest.fixture
def running(slack: FakeSlackApi, services: CommandServices, store: Store) -> Iterator[Running]:
    """SlackIntegration in HTTP mode, its routes served by WebServer on an ephemeral port."""
    env = {
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.base_url,
    }
    integration = slack_from((env), services)
    assert integration is not None and integration.mode == "http"
    integration.verify()
    slack.add_user("U0ALICE")
    reader = Store(store.target)
    try:
        with served(integration.routes()) as base:
            yield Running(f"{base}/slack/events", slack, integration, reader)
    finally:
        reader.close()


def settle(running: Running) -> None:
    """Give a (wrongly) started listener time to act, for tests asserting nothing happened."""
    deadline = time.monotonic() + 0.3
    running.slack.wait_for(lambda: bool(running.slack.responses), timeout=0.3)
    while time.monotonic() < deadline:
        time.sleep(0.02)


class TestSlashCommand:
    def test_subscribe_answers_in_channel_and_subscribes(self, running: Running) -> None:
        response = running.command("subscribe calea")
        assert response.status_code == 200

        reply = running.reply()
        assert reply["response_type"] == "in_channel"
        assert reply["replace_original"] is False
        assert "alice subscribed this channel to calea" in reply["text"]
        assert_valid_blocks(reply["blocks"])
        assert running.subscriptions() == ["calea"]
        destination = running.store.subscriptions.destination("slack", "C0ALERTS")
        assert destination.name == "reg-alerts"

    def test_help_is_ephemeral(self, running: Running) -> None:
        running.command("")
        reply = running.reply()
        assert reply["response_type"] == "ephemeral"
        assert_valid_blocks(reply["blocks"])

    def test_slack_escaping_is_undone_before_the_command_runs(self, running: Running) -> None:
        running.command("subscribe &lt;calea&gt;")
        reply = running.reply()
        # The command saw "<calea>" (and shows markup characters as "?"), not "&lt;calea&gt;".
        assert "“?calea?” is not a topic" in reply["text"]
        assert running.subscriptions() == []

    def test_hostile_user_name_is_inert_in_the_reply(self, running: Running) -> None:
        running.command("subscribe calea", user_name="<!channel>")
        reply = running.reply()
        assert "<!channel>" not in json.dumps(reply)
        assert "&lt;!channel&gt; subscribed" in reply["text"]


class TestSigning:
    def test_unsigned_request_is_refused(self, running: Running) -> None:
        body = slash_command_body("subscribe calea", response_url=running.slack.response_url())
        response = running.post(body, {"Content-Type": FORM})
        assert response.status_code == 401
        settle(running)
        assert running.slack.responses == [] and running.subscriptions() == []

    def test_wrongly_signed_request_is_refused(self, running: Running) -> None:
        body = slash_command_body("subscribe calea", response_url=running.slack.response_url())
        headers = signed_headers("not-the-secret", body, content_type=FORM)
        assert running.post(body, headers).status_code == 401
        settle(running)
        assert running.slack.responses == [] and running.subscriptions() == []

    def test_tampered_body_is_refused(self, running: Running) -> None:
        body = slash_command_body("subscriptions", response_url=running.slack.response_url())
        headers = signed_headers(SECRET, body, content_type=FORM)
        tampered = body.replace("subscriptions", "subscribe+calea")
        assert running.post(tampered, headers).status_code == 401
        settle(running)
        assert running.subscriptions() == []

    def test_stale_request_is_refused(self, running: Running) -> None:
        body = slash_command_body("subscribe calea", response_url=running.slack.response_url())
        old = int(time.time()) - 6 * 60
        headers = signed_headers(SECRET, body, timestamp=old, content_type=FORM)
        assert running.post(body, headers).status_code == 401
        settle(running)
        assert running.slack.responses == [] and running.subscriptions() == []

    @pytest.mark.parametrize("stamp", ["abc", "", "1e3", "9" * 400, "-5"])
    def test_malformed_timestamp_is_refused_without_a_traceback(
        self, running: Running, stamp: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        body = slash_command_body("subscribe calea", response_url=running.slack.response_url())
        headers = signed_headers(SECRET, body, content_type=FORM)
        headers["X-Slack-Request-Timestamp"] = stamp
        assert running.post(body, headers).status_code == 401
        assert not [r for r in caplog.records if r.exc_info]
        assert running.subscriptions() == []

    def test_oversized_body_is_refused(self, running: Running) -> None:
        body = "x" * (1024 * 1024 + 1)
        response = running.post(body, signed_headers(SECRET, body, content_type=FORM))
        assert response.status_code == 413


class TestOtherWorkspace:
    def test_command_from_another_workspace_is_refused(self, running: Running) -> None:
        response = running.command("subscribe calea", team_id="T0OTHER")
        assert response.status_code == 200
        assert "another Slack workspace" in response.json()["text"]
        settle(running)
        assert running.slack.responses == [] and running.subscriptions() == []

    def test_event_from_another_workspace_is_ignored(self, running: Running) -> None:
        running.store.subscriptions.ensure_destination("slack", "C0ALERTS", now=_now())
        body = event_body({"type": "app_uninstalled"}, team_id="T0OTHER")
        headers = signed_headers(SECRET, body, content_type="application/json")
        assert running.post(body, headers).status_code == 200
        settle(running)
        destination = running.store.subscriptions.destination("slack", "C0ALERTS")
        assert destination.paused_reason is None


class TestButtons:
    def test_mute_unsubscribes_the_channel_from_the_topic(self, running: Running) -> None:
        running.command("subscribe calea robocalls")
        running.reply()
        body = block_action_body("calea_mute", "calea", response_url=running.slack.response_url())
        response = running.post(body, signed_headers(SECRET, body, content_type=FORM))
        assert response.status_code == 200
        reply = running.reply(2)
        assert "unsubscribed this channel from calea" in reply["text"]
        assert reply["replace_original"] is False
        assert running.subscriptions() == ["robocalls"]

    def test_mute_with_a_forged_value_changes_nothing(self, running: Running) -> None:
        running.command("subscribe calea")
        running.reply()
        body = block_action_body("calea_mute", "all", response_url=running.slack.response_url())
        running.post(body, signed_headers(SECRET, body, content_type=FORM))
        reply = running.reply(2)
        assert "does not name a topic" in reply["text"]
        assert running.subscriptions() == ["calea"]

    def test_follow_up_button_runs_its_command(self, running: Running) -> None:
        body = block_action_body(
            "calea_command_0", "topics", response_url=running.slack.response_url()
        )
        running.post(body, signed_headers(SECRET, body, content_type=FORM))
        reply = running.reply()
        assert "calea" in reply["text"] and "robocalls" in reply["text"]
        assert reply["response_type"] == "ephemeral"

    def test_open_button_is_acknowledged(self, running: Running) -> None:
        body = block_action_body("calea_open", "", response_url=running.slack.response_url())
        response = running.post(body, signed_headers(SECRET, body, content_type=FORM))
        assert response.status_code == 200
        settle(running)
        assert running.slack.responses == []


class TestEvents:
    def post_event(self, running: Running, event: dict) -> httpx.Response:
        body = event_body(event)
        return running.post(body, signed_headers(SECRET, body, content_type="application/json"))

    def test_app_home_is_published(self, running: Running) -> None:
        response = self.post_event(
            running, {"type": "app_home_opened", "user": "U0ALICE", "tab": "home"}
        )
        assert response.status_code == 200
        assert running.slack.wait_for(lambda: bool(running.slack.views))
        [published] = running.slack.views
        assert published["user_id"] == "U0ALICE"
        assert published["view"]["type"] == "home"
        assert_valid_blocks(published["view"]["blocks"], max_blocks=100)
        assert "CALEA &amp; lawful intercept" in json.dumps(published["view"])

    def test_app_home_lists_the_latest_items_inertly(self, running: Running) -> None:
        poll(running.store, running.integration.handlers.services.config, [HOSTILE_TITLE])
        self.post_event(running, {"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
        assert running.slack.wait_for(lambda: bool(running.slack.views))
        view = running.slack.views[0]["view"]
        assert_valid_blocks(view["blocks"], max_blocks=100)
        text = json.dumps(view)
        assert "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil|FCC&gt;" in text
        assert "<!channel>" not in text and "FCC EDOCS" in text

    def test_messages_tab_does_not_publish(self, running: Running) -> None:
        self.post_event(running, {"type": "app_home_opened", "user": "U0ALICE", "tab": "messages"})
        settle(running)
        assert running.slack.views == []

    def test_uninstall_pauses_every_slack_destination(self, running: Running) -> None:
        subs = running.store.subscriptions
        subs.ensure_destination("slack", "C0ONE", now=_now())
        subs.ensure_destination("slack", "C0TWO", now=_now())
        subs.ensure_destination("console", "stdout", now=_now())
        assert self.post_event(running, {"type": "app_uninstalled"}).status_code == 200
        assert running.slack.wait_for(
            lambda: subs.destination("slack", "C0TWO").paused_reason is not None
        )
        assert "app_uninstalled" in subs.destination("slack", "C0ONE").paused_reason
        assert subs.destination("console", "stdout").paused_reason is None

    def test_bot_token_revocation_pauses_user_token_revocation_does_not(
        self, running: Running
    ) -> None:
        subs = running.store.subscriptions
        subs.ensure_destination("slack", "C0ONE", now=_now())
        self.post_event(running, {"type": "tokens_revoked", "tokens": {"oauth": ["U0ALICE"]}})
        settle(running)
        assert subs.destination("slack", "C0ONE").paused_reason is None
        self.post_event(running, {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT"]}})
        assert running.slack.wait_for(
            lambda: subs.destination("slack", "C0ONE").paused_reason is not None
        )
        assert "tokens_revoked" in subs.destination("slack", "C0ONE").paused_reason

    def test_url_verification_challenge(self, running: Running) -> None:
        body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "t"})
        response = running.post(body, signed_headers(SECRET, body, content_type="application/json"))
        assert response.status_code == 200 and response.json() == {"challenge": "abc123"}


def _now() -> dt.datetime:
    return dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
