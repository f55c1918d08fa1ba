"""Socket Mode pieces in-process: timings, backoff, health endpoints, the SDK client's wiring.

End to end (a real `calea-bot run` against the fakes): tests/app/test_socket_mode.py.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.app.web import build_web_app
from bot.errors import ConfigError
from bot.settings import load_settings
from bot.sinks.slack.socket_mode import SocketModeConnection, SocketSettings, SocketState
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_socket import FakeSocketMode


def test_backoff_doubles_from_the_minimum_up_to_the_ceiling_with_jitter():
    settings = SocketSettings(reconnect_min=1.0, reconnect_max=60.0)
    highest = [settings.backoff(n, rng=lambda: 1.0) for n in range(9)]
    lowest = [settings.backoff(n, rng=lambda: 0.0) for n in range(9)]
    assert highest == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]
    assert lowest == [h / 2 for h in highest]
    assert settings.backoff(10_000, rng=lambda: 1.0) == 60.0


def socket_settings(**env: str) -> SocketSettings:
    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
    return SocketSettings.from_slack(load_settings({**base, **env}).slack)


def test_settings_from_env_defaults_and_overrides():
    assert socket_settings() == SocketSettings()
    fast = socket_settings(
        CALEA_BOT_SLACK_RECONNECT_MIN="0.05",
        CALEA_BOT_SLACK_RECONNECT_MAX="0.4",
        CALEA_BOT_SLACK_PING_INTERVAL="0.5",
    )
    assert (fast.reconnect_min, fast.reconnect_max, fast.ping_interval) == (0.05, 0.4, 0.5)
    with pytest.raises(ConfigError, match="RECONNECT_MAX must not be below"):
        socket_settings(CALEA_BOT_SLACK_RECONNECT_MIN="5", CALEA_BOT_SLACK_RECONNECT_MAX="1")
    with pytest.raises(ConfigError, match="CALEA_BOT_SLACK_PING_INTERVAL must be"):
        socket_settings(CALEA_BOT_SLACK_PING_INTERVAL="nan")


def _get(path: str, health: dict | None) -> httpx.Response:
    app = build_web_app([], health=None if health is None else lambda: health)

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
            return await client.get(path)

    return asyncio.run(get())


def test_healthz_and_readyz_report_each_platform():
    reconnecting = {"slack": {"ok": True, "ready": False, "state": "reconnecting"}}
    assert _get("/healthz", reconnecting).status_code == 200
    ready = _get("/readyz", reconnecting)
    assert ready.status_code == 503 and ready.json()["slack"]["state"] == "reconnecting"

    failed = {"slack": {"ok": False, "ready": False, "state": "auth_failed"}}
    response = _get("/healthz", failed)
    assert response.status_code == 503
    assert response.json() == {"ok": False, **failed}

    assert _get("/healthz", None).json() == {"ok": True}
    assert _get("/readyz", None).status_code == 200


def test_connection_goes_to_slack_api_url_and_reports_its_state():
    """apps.connections.open is asked at SLACK_API_URL (the WebClient's base URL) with the
    app token, not the bot token; health follows the connection."""
    from slack_bolt import App
    from slack_sdk import WebClient

    socket = FakeSocketMode()
    with FakeSlackApi(socket_mode=socket) as slack:
        client = WebClient(token=slack.token, base_url=slack.base_url)
        app = App(client=client, signing_secret="unused", token_verification_enabled=False)
        connection = SocketModeConnection(app, slack.app_token, client)
        try:
            connection.connect()
            assert socket.wait_for_connections(1)
            opened = slack.calls("apps.connections.open")
            assert [call.token for call in opened] == [slack.app_token]
            health = connection.health()
            assert health["state"] == SocketState.CONNECTED and health["ready"] is True
            assert health["connections"] == 1
        finally:
            connection.close()
        assert connection.health()["state"] == SocketState.STOPPED


@pytest.mark.parametrize("reset", [True, False], ids=["tcp-reset", "tcp-close-no-frame"])
def test_a_dropped_connection_is_noticed_without_waiting_for_pings(reset):
    """With pings 30 s apart, only noticing the closed socket itself can reconnect in time."""
    from slack_bolt import App
    from slack_sdk import WebClient

    socket = FakeSocketMode()
    settings = SocketSettings(ping_interval=30.0, reconnect_min=0.05, reconnect_max=0.2)
    with FakeSlackApi(socket_mode=socket) as slack:
        client = WebClient(token=slack.token, base_url=slack.base_url)
        app = App(client=client, signing_secret="unused", token_verification_enabled=False)
        connection = SocketModeConnection(app, slack.app_token, client, settings)
        try:
            connection.connect()
            socket.drop(reset=reset)
            assert socket.wait_for_connections(2, timeout=10)
            assert slack.wait_for(lambda: connection.health()["reconnects"] == 1, 5)
            assert connection.health()["state"] == SocketState.CONNECTED
        finally:
            connection.close()
