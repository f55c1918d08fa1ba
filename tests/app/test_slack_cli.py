"""The Slack app manifest: one file in two places, the scopes it needs, the CLI that prints it."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from bot.app.slack_cli import manifest_text, slack

REPO = Path(__file__).resolve().parents[2]
PACKAGED = REPO / "bot" / "sinks" / "slack" / "manifest.yaml"
TOP_LEVEL = REPO / "slack" / "manifest.yaml"


def test_both_copies_are_identical() -> None:
    assert TOP_LEVEL.read_bytes() == PACKAGED.read_bytes()


def test_manifest_declares_what_the_bot_uses() -> None:
    manifest = yaml.safe_load(PACKAGED.read_text(encoding="utf-8"))
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/calea"
    assert command["description"] and command["usage_hint"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["bot_user"]["display_name"]
    assert manifest["oauth_config"]["scopes"]["bot"] == [
        "commands",
        "chat:write",
        "chat:write.public",
        "users:read",
        "channels:history",
        "groups:history",
        "channels:join",
    ]
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    ]


def test_every_scope_is_explained_in_a_comment() -> None:
    text = PACKAGED.read_text(encoding="utf-8")
    for scope in yaml.safe_load(text)["oauth_config"]["scopes"]["bot"]:
        assert f"# {scope}: " in text, f"scope {scope} has no explaining comment"


def test_cli_prints_the_packaged_manifest() -> None:
    result = CliRunner().invoke(slack, ["manifest"])
    assert result.exit_code == 0
    assert result.output == manifest_text() == PACKAGED.read_text(encoding="utf-8")


def test_cli_http_mode_points_every_request_at_the_url() -> None:
    url = "https://bot.example.org/slack/events"
    result = CliRunner().invoke(slack, ["manifest", "--request-url", url])
    assert result.exit_code == 0
    manifest = yaml.safe_load(result.output)
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["settings"]["event_subscriptions"]["request_url"] == url
    assert manifest["settings"]["interactivity"]["request_url"] == url
    assert manifest["features"]["slash_commands"][0]["url"] == url


def test_cli_refuses_a_non_https_request_url() -> None:
    result = CliRunner().invoke(slack, ["manifest", "--request-url", "http://bot.example.org/x"])
    assert result.exit_code != 0
    assert "must be a public https URL" in result.output
