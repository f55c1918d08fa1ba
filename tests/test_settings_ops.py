"""Operating settings: metrics, admin channels, readiness and HTTP limits (one-line errors)."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings


def test_ops_defaults():
    settings = load_settings({})
    ops = settings.ops
    assert not ops.metrics and ops.admin_channel is None and ops.outbox_stuck_minutes == 15
    assert settings.teams.admin_channel is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CALEA_BOT_METRICS", "maybe"),
        ("CALEA_BOT_SUBSCRIBE_ADMINS_ONLY", "2"),
        ("CALEA_BOT_ADMIN_CHANNEL", "#general"),
        ("CALEA_BOT_OUTBOX_STUCK_MINUTES", "0"),
        ("CALEA_BOT_HTTP_BODY_TIMEOUT", "-1"),
        ("CALEA_BOT_HTTP_MAX_CONNECTIONS", "lots"),
        ("CALEA_BOT_HTTP_KEEPALIVE", "1e9"),
    ],
)
def test_bad_ops_values_name_the_variable_in_one_line(name, value):
    with pytest.raises(ConfigError) as error:
        load_settings({name: value})
    assert name in str(error.value) and "\n" not in str(error.value)


def test_ops_values_are_read():
    env = {
        "CALEA_BOT_METRICS": "1",
        "CALEA_BOT_ADMIN_CHANNEL": "C0ADMIN1",
        "CALEA_BOT_TEAMS_ADMIN_CHANNEL": "Compliance ops",
        "CALEA_BOT_OUTBOX_STUCK_MINUTES": "5",
    }
    settings = load_settings(env)
    assert settings.ops.metrics and settings.ops.admin_channel == "C0ADMIN1"
    assert settings.ops.outbox_stuck_minutes == 5
    assert settings.teams.admin_channel == "Compliance ops"


def test_https_proxy_is_read_for_teams_and_never_echoed():
    teams = load_settings({"HTTPS_PROXY": "http://u:pw@proxy:3128", "NO_PROXY": ".corp,x"}).teams
    assert teams.proxy == "http://u:pw@proxy:3128" and teams.no_proxy == ("corp", "x")
    assert "pw" not in repr(teams)
    with pytest.raises(ConfigError) as error:
        load_settings({"HTTPS_PROXY": "ftp://u:pw@proxy"})
    assert "HTTPS_PROXY" in str(error.value) and "pw" not in str(error.value)
