"""SlackIntegration from the environment: clear errors, token checks, modes, admins."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.commands.context import CommandServices
from bot.errors import ConfigError
from bot.settings import load_settings
from bot.sinks.slack import SlackIntegration, SlackSink
from bot.sinks.slack.admins import AdminPolicy
from bot.sinks.slack.app import command_text
from tests.fakes.slack_api import FakeSlackApi

SECRET = "signing-secret"


def admins_in(value: str):
    """The admin list CALEA_BOT_ADMINS=value gives (None: workspace admins and owners)."""
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "CALEA_BOT_ADMINS": value}
    return load_settings(env).slack.admins


def slack_from(env, services):
    """SlackIntegration as this environment configures it (None: Slack is off)."""
    return SlackIntegration.from_settings(load_settings(env).slack, services)


def env_for(slack: FakeSlackApi, **extra: str) -> dict[str, str]:
    env = {
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.base_url,
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


class TestFromEnv:
    def test_no_bot_token_means_no_slack(self, services: CommandServices) -> None:
        assert slack_from(({}), services) is None
        assert slack_from(({"SLACK_BOT_TOKEN": "  "}), services) is None

    def test_http_mode_needs_the_signing_secret(
        self, services: CommandServices, slack: FakeSlackApi
    ) -> None:
        env = env_for(slack)
        del env["SLACK_SIGNING_SECRET"]
        with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set") as error:
            slack_from((env), services)
        assert "SLACK_APP_TOKEN" in str(error.value)  # says how to use Socket Mode instead

    def test_http_mode(self, services: CommandServices, slack: FakeSlackApi) -> None:
        integration = slack_from((env_for(slack)), services)
        assert integration is not None
        assert integration.mode == "http"
        assert isinstance(integration.sink, SlackSink)
        assert integration.sink.platform == "slack"
        assert [route.path for route in integration.routes()] == ["/slack/events"]
        assert slack.calls() == []  # building makes no network call

    def test_socket_mode_needs_no_signing_secret(
        self, services: CommandServices, slack: FakeSlackApi
    ) -> None:
        env = env_for(slack, SLACK_APP_TOKEN="xapp-1-A1-abc")
        del env["SLACK_SIGNING_SECRET"]
        integration = slack_from((env), services)
        assert integration is not None
        assert integration.mode == "socket"
        assert integration.routes() == []

    @pytest.mark.parametrize(
        ("name", "value", "message"),
        [
            ("SLACK_BOT_TOKEN", "xapp-1-A1-abc", "SLACK_BOT_TOKEN holds an app-level token"),
            ("SLACK_BOT_TOKEN", "xoxp-123", "SLACK_BOT_TOKEN holds a user token"),
            ("SLACK_APP_TOKEN", "xoxb-123", "SLACK_APP_TOKEN must be an app-level token"),
            ("SLACK_API_URL", "ftp://slack.example/api/", "SLACK_API_URL must be an http"),
        ],
    )
    def test_wrong_values_are_named(
        self, services: CommandServices, slack: FakeSlackApi, name: str, value: str, message: str
    ) -> None:
        with pytest.raises(ConfigError, match=message):
            slack_from((env_for(slack, **{name: value})), services)

    def test_api_url_gets_its_trailing_slash(
        self, services: CommandServices, slack: FakeSlackApi
    ) -> None:
        env = env_for(slack, SLACK_API_URL=slack.base_url.rstrip("/"))
        integration = slack_from((env), services)
        assert integration.client.base_url == slack.base_url
        assert integration.verify().team_id == "T0TEAM"


class TestVerify:
    def test_identifies_the_workspace(self, services: CommandServices, slack: FakeSlackApi) -> None:
        integration = slack_from((env_for(slack)), services)
        workspace = integration.verify()
        assert (workspace.team_id, workspace.bot_user_id) == ("T0TEAM", "U0BOT")
        assert slack.calls("auth.test")[0].token == slack.token

    def test_wrong_token_is_a_clear_config_error(
        self, services: CommandServices, slack: FakeSlackApi
    ) -> None:
        env = env_for(slack, SLACK_BOT_TOKEN="xoxb-not-the-real-one")
        integration = slack_from((env), services)
        with pytest.raises(ConfigError) as error:
            integration.verify()
        message = str(error.value)
        assert message.startswith("SLACK_BOT_TOKEN was rejected by Slack (invalid_auth): ")
        assert "xoxb-not-the-real-one" not in message
        assert "Traceback" not in message

    def test_revoked_token(self, services: CommandServices, slack: FakeSlackApi) -> None:
        slack.fail("auth.test", error="token_revoked")
        integration = slack_from((env_for(slack)), services)
        with pytest.raises(ConfigError, match=r"rejected by Slack \(token_revoked\): .*reinstall"):
            integration.verify()

    def test_unreachable_api_is_a_clear_config_error(
        self, services: CommandServices, slack: FakeSlackApi
    ) -> None:
        with FakeSlackApi() as gone:
            url = gone.base_url
        integration = slack_from((env_for(slack, SLACK_API_URL=url)), services)
        integration.client.retry_handlers = []
        with pytest.raises(ConfigError, match="Could not reach the Slack Web API") as error:
            integration.verify()
        assert slack.token not in str(error.value)

    def test_socket_mode_with_a_rejected_app_token(
        self, services: CommandServices, slack: FakeSlackApi
    ) -> None:
        env = env_for(slack, SLACK_APP_TOKEN="xapp-1-not-accepted")
        integration = slack_from((env), services)
        with pytest.raises(ConfigError, match=r"SLACK_APP_TOKEN was rejected by Slack") as error:
            integration.start()
        assert "xapp-1-not-accepted" not in str(error.value)
        [call] = slack.calls("apps.connections.open")
        assert call.token == "xapp-1-not-accepted"
        integration.stop()  # harmless when never started


class TestAdmins:
    def test_listed_admins_only(self, client: WebClient, slack: FakeSlackApi) -> None:
        slack.add_user("U0OWNER", is_owner=True)
        policy = AdminPolicy(client, admins_in(" U0ALICE, ,U0BOB "))
        assert policy.is_admin("U0ALICE") and policy.is_admin("U0BOB")
        assert not policy.is_admin("U0OWNER")  # the list is the whole truth when set
        assert slack.calls("users.info") == []

    def test_an_admin_of_another_workspace_is_not_an_admin_here(
        self, client: WebClient, slack: FakeSlackApi
    ) -> None:
        slack.add_user("U0GUEST", is_admin=True, team_id="T0OTHER")
        slack.add_user("U0ADMIN", is_admin=True)
        policy = AdminPolicy(client, admins_in(""), workspace_team=lambda: slack.team_id)
        assert policy.is_admin("U0ADMIN")
        assert not policy.is_admin("U0GUEST")

    def test_workspace_admins_and_owners_without_a_list(
        self, client: WebClient, slack: FakeSlackApi
    ) -> None:
        slack.add_user("U0ADMIN", is_admin=True)
        slack.add_user("U0OWNER", is_owner=True)
        slack.add_user("U0MEMBER")
        policy = AdminPolicy(client, admins_in(""))
        assert policy.is_admin("U0ADMIN") and policy.is_admin("U0OWNER")
        assert not policy.is_admin("U0MEMBER")
        assert not policy.is_admin("U0UNKNOWN")  # users.info failed: not an admin
        policy.is_admin("U0ADMIN")
        assert len(slack.calls("users.info")) == 4  # the second U0ADMIN answer was cached


@pytest.mark.parametrize(
    ("raw", "typed"),
    [
        ("subscribe calea daily", "subscribe calea daily"),
        ("search AT&amp;T &lt;rescind&gt;", "search AT&T <rescind>"),
        ("feeds add <https://example.org/feed?a=1&amp;b=2|example.org/feed>", None),
        ("&amp;lt;", "&lt;"),
    ],
)
def test_command_text_undoes_slack_escaping(raw: str, typed: str | None) -> None:
    expected = typed if typed is not None else "feeds add https://example.org/feed?a=1&b=2"
    assert command_text(raw) == expected
