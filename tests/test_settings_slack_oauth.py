"""bot.settings: Slack installed in many workspaces (SLACK_CLIENT_ID without SLACK_BOT_TOKEN)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot.errors import ConfigError
from bot.settings import load_settings

KEY = Fernet.generate_key().decode()
OAUTH = {
    "SLACK_CLIENT_ID": "1111.2222",
    "SLACK_CLIENT_SECRET": "client-secret-value",
    "SLACK_SIGNING_SECRET": "signing-secret",
    "CALEA_BOT_TOKEN_KEY": KEY,
}


def _error(env: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as raised:
        load_settings(env)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_client_id_without_bot_token_is_multi_workspace_http_mode():
    slack = load_settings({**OAUTH, "CALEA_BOT_PUBLIC_URL": "https://bot.example.com/"}).slack
    assert slack.multi_workspace and slack.mode == "http" and slack.bot_token is None
    assert slack.token_keys == (KEY,) and slack.client_id == "1111.2222"
    assert slack.redirect_uri == "https://bot.example.com/slack/oauth_redirect"
    assert "client-secret-value" not in repr(slack) and KEY not in repr(slack)


def test_a_bot_token_keeps_single_workspace_mode():
    slack = load_settings({**OAUTH, "SLACK_BOT_TOKEN": "xoxb-1"}).slack
    assert not slack.multi_workspace and slack.bot_token == "xoxb-1"


def test_no_public_url_leaves_the_redirect_to_the_app_settings():
    assert load_settings(OAUTH).slack.redirect_uri is None


def test_missing_key_tells_how_to_make_one():
    env = {k: v for k, v in OAUTH.items() if k != "CALEA_BOT_TOKEN_KEY"}
    message = _error(env)
    assert "CALEA_BOT_TOKEN_KEY" in message and "Fernet.generate_key()" in message


def test_a_malformed_key_is_refused_without_echoing_it():
    message = _error({**OAUTH, "CALEA_BOT_TOKEN_KEY": "not-a-real-fernet-key-value"})
    assert "not a Fernet key" in message and "not-a-real" not in message


@pytest.mark.parametrize("missing", ["SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET"])
def test_missing_credentials_are_named(missing):
    env = {k: v for k, v in OAUTH.items() if k != missing}
    assert missing in _error(env)


def test_socket_mode_is_not_for_oauth_installs():
    assert "SLACK_APP_TOKEN" in _error({**OAUTH, "SLACK_APP_TOKEN": "xapp-1"})


def test_admin_channel_may_name_its_workspace():
    env = {**OAUTH, "CALEA_BOT_ADMIN_CHANNEL": "T0123ABCD:C0123ABCD"}
    assert load_settings(env).ops.admin_channel == "T0123ABCD:C0123ABCD"
    assert "CALEA_BOT_ADMIN_CHANNEL" in _error({**OAUTH, "CALEA_BOT_ADMIN_CHANNEL": "x:C0123ABCD"})
