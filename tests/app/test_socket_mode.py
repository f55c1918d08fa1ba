"""`calea-bot run` in Socket Mode (SLACK_APP_TOKEN), end to end, in a real subprocess.

Slack is two loopback fakes: the Web API (tests/fakes/slack_api.py, which also answers
apps.connections.open with the app token) and the Socket Mode WebSocket server
(tests/fakes/slack_socket.py). Envelopes are framed as Slack frames them; every one must be
acknowledged within Slack's 3 seconds; replies go through response_url, App Home through
views.publish, alerts through chat.postMessage (never through the socket).

Run alone: .venv/bin/python -m pytest -q tests/app/test_socket_mode.py
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.app.test_run_slack import free_port, wait_until
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import numbered_entries, rss
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_socket import ACK_DEADLINE_SECONDS, FakeSocketMode

CHANNEL = "C0ALERTS"
#: Small timings so reconnects take fractions of a second (production: 1 s .. 60 s, ping 5 s).
FAST = {
    "CALEA_BOT_SLACK_RECONNECT_MIN": "0.05",
    "CALEA_BOT_SLACK_RECONNECT_MAX": "0.4",
    "CALEA_BOT_SLACK_PING_INTERVAL": "0.5",
}


@dataclass
class Bot:
    """A running `calea-bot run` and the fakes it talks to."""

    process: subprocess.Popen
    slack: FakeSlackApi
    socket: FakeSocketMode
    feeds: FeedServer
    feeds_file: Path
    db: Path
    env: dict[str, str]
    base: str

    def health(self, path: str = "/healthz") -> httpx.Response:
        return httpx.get(self.base + path, timeout=5)

    def slack_health(self) -> dict:
        return self.health().json().get("slack", {})

    def command(self, text: str, name: str) -> dict:
        """Send /calea `text`; assert the ack comes within 3 s and the reply reaches
        response_url; return the reply."""
        before = len(self.slack.responses)
        envelope = self.socket.slash_command(text, response_url=self.slack.response_url(name))
        ack = self.socket.wait_for_ack(envelope, timeout=ACK_DEADLINE_SECONDS + 2)
        assert ack is not None, f"/calea {text}: no ack"
        assert ack.latency <= ACK_DEADLINE_SECONDS, f"/calea {text}: ack after {ack.latency:.2f}s"
        assert self.slack.wait_for(lambda: len(self.slack.responses) > before, 15), text
        return self.slack.responses[before]

    def stop(self) -> tuple[str, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.communicate(timeout=30)


def _write_feeds(path: Path, server: FeedServer) -> None:
    path.write_text(
        "settings:\n  first_poll_alerts: 5\n"
        "topics:\n  calea:\n    title: CALEA\n    keywords: [CALEA]\n"
        "sources:\n"
        f"  - {{id: fcc, name: FCC test, url: '{server.url('/fcc')}', interval: 60}}\n"
    )


def _env(slack: FakeSlackApi, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        **FAST,
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_API_URL": slack.base_url,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SLACK_SIGNING_SECRET", None)
    return env


def _start(slack, socket, server, tmp_path: Path) -> Bot:
    feeds, db, port = tmp_path / "feeds.yaml", tmp_path / "bot.db", free_port()
    _write_feeds(feeds, server)
    env = _env(slack, port)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--feeds", str(feeds), "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    return Bot(process, slack, socket, server, feeds, db, env, f"http://127.0.0.1:{port}")


@contextlib.contextmanager
def running_bot(tmp_path: Path) -> Iterator[Bot]:
    socket = FakeSocketMode()
    with FeedServer() as server, FakeSlackApi(min_post_interval=0.0, socket_mode=socket) as slack:
        server.route("/fcc", body=rss(numbered_entries("fcc", 2)))
        bot = _start(slack, socket, server, tmp_path)
        try:
            assert socket.wait_for_connections(1, timeout=30), "the bot never connected"
            assert wait_until(lambda: bot.health("/readyz").status_code == 200)
            yield bot
        finally:
            bot.stop()


def _poll_once_without_slack(bot: Bot) -> None:
    """Poll the feed once in another process that has no Slack settings: it stores and queues
    alerts; the running bot's own delivery job must post them."""
    env = {k: v for k, v in bot.env.items() if not k.startswith("SLACK_")}
    subprocess.run(
        [sys.executable, "-m", "bot", "poll", "--once", "--feeds", str(bot.feeds_file)]
        + ["--db", str(bot.db)],
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )


def test_socket_mode_answers_commands_buttons_and_app_home(tmp_path):
    with running_bot(tmp_path) as bot:
        slack, socket = bot.slack, bot.socket
        health = bot.slack_health()
        assert health["mode"] == "socket" and health["state"] == "connected"
        assert bot.health("/readyz").json()["slack"]["ready"] is True

        replies = {
            text: bot.command(text, text.split()[0])
            for text in ("help", "subscribe calea", "status", "search notice")
        }
        assert replies["help"]["text"].startswith("calea-bot commands")
        assert "subscribed this channel to calea" in replies["subscribe calea"]["text"]
        assert "This channel receives: calea" in replies["status"]["text"]
        assert "fcc notice 1" in replies["search notice"]["text"]

        # A button click: the alert's "Mute this topic here".
        before = len(slack.responses)
        envelope = socket.block_action("calea_mute", "calea", response_url=slack.response_url("b"))
        ack = socket.wait_for_ack(envelope)
        assert ack is not None and ack.latency <= ACK_DEADLINE_SECONDS
        assert slack.wait_for(lambda: len(slack.responses) > before, 15)
        assert "calea" in slack.responses[before]["text"]
        assert "This channel receives: calea" not in bot.command("status", "s2")["text"]

        # App Home: app_home_opened → views.publish.
        envelope = socket.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
        ack = socket.wait_for_ack(envelope)
        assert ack is not None and ack.latency <= ACK_DEADLINE_SECONDS
        assert slack.wait_for(lambda: len(slack.views) >= 1, 15)
        assert slack.views[0]["user_id"] == "U0ALICE"
        assert slack.views[0]["view"]["type"] == "home"

        assert socket.late_acks() == [] and socket.unknown_acks == []
        assert len(socket.connections) == 1
        out, err = bot.stop()
    assert bot.process.returncode == 0, err
    assert "slack: socket mode" in err and "/healthz" in err
    assert "xapp-" not in err and "xoxb-" not in err and "ticket=" not in err
    assert "Traceback" not in err


def test_socket_mode_reconnects_after_refresh_and_abrupt_drop(tmp_path):
    with running_bot(tmp_path) as bot:
        slack, socket = bot.slack, bot.socket
        bot.command("subscribe calea", "subscribe")

        # Slack asks for a refresh: the bot opens a new connection, then leaves the old one.
        for number, reason in enumerate(("refresh_requested", "warning"), start=2):
            old = socket.request_refresh(reason)
            assert socket.wait_for_connections(number), reason
            assert socket.connections[-1].open_before == [old]  # new one first, then the switch
            assert wait_until(lambda old=old: all(c.number != old for c in socket.live()), 10)
            assert "Sources: 1 sources ok" in bot.command("status", reason)["text"]
        assert bot.slack_health()["refreshes"] == 2

        # The connection drops abruptly, and Slack refuses new ones for a while.
        socket.refuse_connections = True
        socket.drop()
        assert wait_until(lambda: len(socket.refused) >= 3, 20), "no reconnect attempts"
        assert socket.live() == []
        health = bot.slack_health()
        assert health["state"] == "reconnecting" and health["ok"] is True
        assert bot.health().status_code == 200
        assert bot.health("/readyz").status_code == 503

        # Alerts do not need the socket: new items reach chat.postMessage meanwhile.
        bot.feeds.route("/fcc", body=rss(numbered_entries("fcc", 1, start=10)))
        _poll_once_without_slack(bot)
        assert slack.wait_for(
            lambda: any("fcc notice 10" in m.text for m in slack.messages(CHANNEL)), 30
        )
        assert socket.live() == []  # still down: delivery did not wait for it

        # Slack is back: the bot reconnects by itself and answers a command sent again.
        socket.refuse_connections = False
        assert socket.wait_for_connections(4, timeout=20)
        assert wait_until(lambda: bot.health("/readyz").status_code == 200, 10)
        assert "Sources: 1 sources ok" in bot.command("status", "after-drop")["text"]
        health = bot.slack_health()
        assert health["reconnects"] == 1 and health["last_error"]
        assert socket.late_acks() == []
        out, err = bot.stop()
    assert bot.process.returncode == 0, err
    assert "reconnecting" in err and "Traceback" not in err
    assert "xapp-" not in err and "ticket=" not in err


def test_revoked_app_token_at_startup_exits_2_with_one_line(tmp_path):
    socket = FakeSocketMode()
    with FeedServer() as server, FakeSlackApi(socket_mode=socket) as slack:
        server.route("/fcc", body=rss(numbered_entries("fcc", 1)))
        slack.revoke_app_token()
        bot = _start(slack, socket, server, tmp_path)
        out, err = bot.process.communicate(timeout=60)
    assert bot.process.returncode == 2, err
    errors = [line for line in err.splitlines() if "invalid_auth" in line]
    assert errors == [
        "error: SLACK_APP_TOKEN was rejected by Slack (invalid_auth): use an app-level token "
        "(xapp-…) with the connections:write scope, and enable Socket Mode."
    ]
    assert "Traceback" not in err and "xapp-" not in err.replace("(xapp-…)", "")
    assert socket.connections == []


def test_app_token_revoked_later_is_reported_by_healthz(tmp_path):
    with running_bot(tmp_path) as bot:
        bot.slack.revoke_app_token()
        bot.socket.drop()
        assert wait_until(lambda: bot.health().status_code == 503, 20)
        body = bot.health().json()
        assert body["ok"] is False
        assert body["slack"]["state"] == "auth_failed"
        assert body["slack"]["last_error"] == "invalid_auth"
        # It gave up instead of hammering Slack with a token that cannot work.
        calls = len(bot.slack.calls("apps.connections.open"))
        time.sleep(1.0)
        assert len(bot.slack.calls("apps.connections.open")) == calls
        assert bot.process.poll() is None  # still running: alerts are still delivered
        out, err = bot.stop()
    assert bot.process.returncode == 0, err
    refused = [line for line in err.splitlines() if "refused SLACK_APP_TOKEN" in line]
    assert len(refused) == 1 and "Traceback" not in err


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_bad_socket_timing_setting_is_a_config_error(tmp_path, value):
    socket = FakeSocketMode()
    with FeedServer() as server, FakeSlackApi(socket_mode=socket) as slack:
        feeds = tmp_path / "feeds.yaml"
        _write_feeds(feeds, server)
        env = {**_env(slack, free_port()), "CALEA_BOT_SLACK_RECONNECT_MAX": value}
        result = subprocess.run(
            [sys.executable, "-m", "bot", "run", "--feeds", str(feeds)]
            + ["--db", str(tmp_path / "bot.db")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert "CALEA_BOT_SLACK_RECONNECT_MAX must be" in result.stderr
