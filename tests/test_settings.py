"""bot.settings: the one place that reads the environment, and what it accepts."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings

PACKAGE = Path(__file__).resolve().parents[1] / "bot"
#: The CLI entry point hands os.environ to bot.settings.load_settings; nothing else touches it.
READERS = {"app/cli_options.py"}


def _reads_environment(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            return True
    return False


def test_nothing_but_the_settings_reads_the_environment():
    readers = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if _reads_environment(ast.parse(path.read_text(encoding="utf-8")))
    }
    assert readers == READERS


def test_defaults_with_an_empty_environment():
    settings = load_settings({})
    assert (settings.feeds, settings.db, settings.port) == (
        Path("feeds.yaml"),
        Path("calea-bot.db"),
        3000,
    )
    assert not settings.feeds_given and not settings.port_given
    assert settings.slack is None and settings.teams.outgoing_secret is None
    assert settings.log_format == "text" and settings.log_level is None


def test_command_line_paths_win_over_the_environment():
    env = {"CALEA_BOT_FEEDS": "env.yaml", "CALEA_BOT_DB": "env.db"}
    assert load_settings(env).feeds == Path("env.yaml")
    chosen = load_settings(env, feeds="cli.yaml", db="cli.db")
    assert (chosen.feeds, chosen.db, chosen.feeds_given) == (Path("cli.yaml"), Path("cli.db"), True)


def test_slack_mode_follows_the_app_token():
    http = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}).slack
    socket = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}).slack
    assert (http.mode, socket.mode) == ("http", "socket")
    assert http.api_url == "https://slack.com/api/"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PORT": "99999"}, "PORT"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"CALEA_BOT_LEASE_TTL": "-1"}, "CALEA_BOT_LEASE_TTL"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "ftp://x"},
            "SLACK_API_URL",
        ),
        ({"TEAMS_OUTGOING_WEBHOOK_SECRET": "not base64!"}, "TEAMS_OUTGOING_WEBHOOK_SECRET"),
    ],
)
def test_each_mistake_names_its_variable(env, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(env)


def test_secrets_stay_out_of_the_repr():
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-SECRET", "SLACK_APP_TOKEN": "xapp-SECRET"})
    assert "SECRET" not in repr(settings)
