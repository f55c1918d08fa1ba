"""Workspace isolation, installed in many workspaces: signed requests through the real
/slack/events endpoint from two workspaces (even from the same channel id, as in a shared
channel); delivery with each destination's own workspace's bot token."""

from __future__ import annotations

import datetime as dt
import functools

from bot.commands.context import CommandServices
from bot.pipeline.deliver import Courier, drain_outbox
from bot.settings import load_settings
from bot.sinks.slack import SlackIntegration
from bot.store import Store
from tests.fakes.slack_api import FakeClock, FakeSlackApi, event_body, slash_command_body
from tests.sinks.slack.conftest import NOW, poll
from tests.sinks.slack.many import Many

TOKEN_A = "xoxb-team-a-secret-token"
TOKEN_B = "xoxb-team-b-secret-token"
SHARED = "C0SHARED"


def _two(many: Many) -> None:
    many.install("T0AAA", TOKEN_A)
    many.install("T0BBB", TOKEN_B)


def _subs(many: Many, channel: str) -> list[str]:
    destination = many.store.subscriptions.destination("slack", channel)
    return [s.topic for s in many.store.subscriptions.of(destination.id)]


class TestCommandsSeeOnlyTheirWorkspace:
    def test_b_neither_sees_nor_changes_as_subscriptions(self, many: Many) -> None:
        _two(many)
        reply = many.command("subscribe calea", team_id="T0AAA", reply_to="a", channel_id=SHARED)
        assert "subscribed this channel to calea" in reply["text"]
        destination = many.store.subscriptions.destination("slack", SHARED)
        assert destination.workspace == "T0AAA"

        listed = many.command("subscriptions", team_id="T0BBB", reply_to="b", channel_id=SHARED)
        assert "calea" not in listed["text"].lower().split("topics")[0]
        assert "no subscriptions" in listed["text"].lower()
        status = many.command("status", team_id="T0BBB", reply_to="b", channel_id=SHARED)
        assert "has no subscriptions" in status["text"]
        dropped = many.command("unsubscribe all", team_id="T0BBB", reply_to="b", channel_id=SHARED)
        assert "unsubscribed" not in dropped["text"].lower() or "nothing" in dropped["text"]
        taken = many.command(
            "subscribe robocalls", team_id="T0BBB", reply_to="b", channel_id=SHARED
        )
        assert "another Slack workspace" in taken["text"]
        assert _subs(many, SHARED) == ["calea"]

        own = many.command("subscriptions", team_id="T0AAA", reply_to="a", channel_id=SHARED)
        assert "calea" in own["text"]

    def test_watches_and_audit_stay_in_their_workspace(self, many: Many) -> None:
        _two(many)
        many.command("watch docket WC 17-108", team_id="T0AAA", reply_to="a", channel_id=SHARED)
        many.command("subscribe calea", team_id="T0AAA", reply_to="a", channel_id="C0AAA")
        watches = many.command("watches", team_id="T0BBB", reply_to="b", channel_id=SHARED)
        assert "17-108" not in watches["text"]
        many.slack.add_user("U0BOSS", is_admin=True, team_id="T0BBB")
        audit = many.command(
            "audit", team_id="T0BBB", reply_to="b", channel_id="C0BBB", user_id="U0BOSS"
        )
        assert "No changes recorded yet" in audit["text"]
        unwatch = many.command("unwatch all", team_id="T0BBB", reply_to="b", channel_id=SHARED)
        assert "17-108" not in unwatch["text"]
        destination = many.store.subscriptions.destination("slack", SHARED)
        assert [w.value for w in many.store.watches.of(destination.id)] == ["WC 17-108"]

    def test_paused_channels_of_other_workspaces_are_not_shown(self, many: Many) -> None:
        _two(many)
        many.command("subscribe calea", team_id="T0AAA", reply_to="a", channel_name="a-secret")
        destination = many.store.subscriptions.destination("slack", "C0ALERTS")
        many.store.subscriptions.pause(destination.id, "channel_not_found", now=NOW)
        many.slack.add_user("U0BOSS", is_admin=True, team_id="T0BBB")
        status = many.command(
            "status", team_id="T0BBB", reply_to="b", channel_id="C0BBB", user_id="U0BOSS"
        )
        assert "a-secret" not in status["text"]
        assert "no destination is paused" in status["text"]
        many.slack.add_user("U0ABOSS", is_admin=True, team_id="T0AAA")
        own = many.command(
            "status", team_id="T0AAA", reply_to="a", channel_id="C0AAA", user_id="U0ABOSS"
        )
        assert "a-secret" in own["text"]  # its own workspace's admin sees it
        body = event_body(
            {"type": "app_home_opened", "user": "U0BOSS", "tab": "home"}, team_id="T0BBB"
        )
        many.post(body, "application/json")
        assert many.slack.wait_for(lambda: bool(many.slack.views))
        assert "a-secret" not in str(many.slack.views[0]["view"])
        assert "Paused" not in str(many.slack.views[0]["view"])
        [users_info] = [c for c in many.slack.calls("users.info") if c.params["user"] == "U0BOSS"][
            :1
        ]
        assert users_info.token == TOKEN_B  # the admin check asks B's own workspace

    def test_a_workspace_without_installation_is_refused(self, many: Many) -> None:
        many.install("T0AAA", TOKEN_A)
        url = many.slack.response_url("x")
        body = slash_command_body("subscribe calea", response_url=url, team_id="T0NONE")
        many.post(body, "application/x-www-form-urlencoded")
        assert many.slack.wait_for(lambda: bool(many.slack.responses))
        assert "reinstall" in str(many.slack.responses[0]).lower()
        assert many.store.subscriptions.destinations() == []


class TestDelivery:
    def drain(self, many: Many, clock: FakeClock) -> None:
        courier = Courier(many.integration.sink, clock=clock, sleep=clock.sleep)
        drain_outbox(many.store, {"slack": courier}, now=NOW + dt.timedelta(minutes=1))

    def test_each_destination_gets_its_own_workspaces_token(
        self, many: Many, clock: FakeClock
    ) -> None:
        _two(many)
        many.command("subscribe calea", team_id="T0AAA", reply_to="a", channel_id="C0AAA")
        many.command("subscribe calea", team_id="T0BBB", reply_to="b", channel_id="C0BBB")
        poll(many.store, many.integration.handlers.services.config, ["CALEA order"])
        self.drain(many, clock)
        posts = {c.params["channel"]: c.token for c in many.slack.calls("chat.postMessage")}
        assert posts == {"C0AAA": TOKEN_A, "C0BBB": TOKEN_B}

    def test_a_workspace_without_installation_is_paused_not_retried(
        self, many: Many, clock: FakeClock
    ) -> None:
        many.install("T0AAA", TOKEN_A)
        subs = many.store.subscriptions
        gone = subs.ensure_destination("slack", "C0GONE", workspace="T0GONE", now=NOW)
        subs.subscribe(gone.id, ["calea"], now=NOW)
        poll(many.store, many.integration.handlers.services.config, ["CALEA order"])
        self.drain(many, clock)
        reason = subs.destination("slack", "C0GONE").paused_reason
        assert reason is not None and "not installed" in reason and "T0GONE" in reason
        assert many.slack.calls("chat.postMessage") == []
        assert many.store.outbox.counts() == {"pending": 1}
        many.install("T0GONE", "xoxb-gone-token")  # installing resumes it
        assert subs.destination("slack", "C0GONE").paused_reason is None
        self.drain(many, clock)
        [post] = many.slack.calls("chat.postMessage")
        assert post.token == "xoxb-gone-token"

    def test_admin_notice_names_its_workspace(self, many: Many, clock: FakeClock) -> None:
        _two(many)
        courier = Courier(many.integration.sink, clock=clock, sleep=clock.sleep)
        pace = functools.partial(courier.pacer.turn, "notice")
        result = courier.sink.send_notice("T0BBB:C0ADMIN", "feed broken", pace)
        assert result.status == "sent"
        [post] = many.slack.calls("chat.postMessage")
        assert post.token == TOKEN_B and post.params["channel"] == "C0ADMIN"


class TestOneWorkspace:
    def test_rows_older_than_workspaces_become_the_installed_ones(
        self, slack: FakeSlackApi, services: CommandServices, store: Store
    ) -> None:
        store.subscriptions.ensure_destination("slack", "C0OLD", now=NOW)
        store.subscriptions.ensure_destination("teams", "general", now=NOW)
        env = {"SLACK_BOT_TOKEN": slack.token, "SLACK_APP_TOKEN": "", "SLACK_SIGNING_SECRET": "s"}
        env["SLACK_API_URL"] = slack.base_url
        integration = SlackIntegration.from_settings(load_settings(env).slack, services)
        integration.verify()
        assert store.subscriptions.destination("slack", "C0OLD").workspace == slack.team_id
        assert store.subscriptions.destination("teams", "general").workspace == ""
