"""`calea-bot run` wired to Slack in HTTP mode, end to end, against the fake Slack Web API.

A channel subscribes with a signed /calea command through the bot's real HTTP endpoint; the
next poll's alerts reach the fake Slack; an unsigned request is refused; SIGTERM stops it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx

from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import numbered_entries, rss
from tests.fakes.slack_api import FakeSlackApi, signed_headers, slash_command_body

SECRET = "test-signing-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


def test_run_serves_signed_slash_commands_and_posts_alerts_to_slack(tmp_path):
    feeds, db, port = tmp_path / "feeds.yaml", tmp_path / "bot.db", free_port()
    with FeedServer() as server, FakeSlackApi(min_post_interval=0.0) as slack:
        server.route("/fcc", body=rss(numbered_entries("fcc", 2)))
        feeds.write_text(
            "settings:\n  first_poll_alerts: 5\n"
            "topics:\n  calea:\n    title: CALEA\n    keywords: [CALEA]\n"
            "sources:\n"
            f"  - {{id: fcc, name: FCC test, url: '{server.url('/fcc')}', interval: 60}}\n"
        )
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.base_url,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("SLACK_APP_TOKEN", None)
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--feeds", str(feeds), "--db", str(db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            assert wait_until(lambda: httpx.get(f"{base}/healthz").status_code == 200)
            body = slash_command_body("subscribe calea", response_url=slack.response_url())
            unsigned = httpx.post(
                f"{base}/slack/events",
                content=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            signed = httpx.post(
                f"{base}/slack/events",
                content=body,
                headers=signed_headers(
                    SECRET, body, content_type="application/x-www-form-urlencoded"
                ),
            )
            assert unsigned.status_code == 401
            assert signed.status_code == 200
            assert slack.wait_for(lambda: any("calea" in str(r) for r in slack.responses), 10)
            # The first poll ran before the subscription: new items arrive on the next cycle.
            server.route("/fcc", body=rss(numbered_entries("fcc", 1, start=10)))
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bot",
                    "poll",
                    "--once",
                    "--feeds",
                    str(feeds),
                    "--db",
                    str(db),
                ],
                env=env,
                capture_output=True,
                timeout=60,
                check=True,
            )
            assert slack.wait_for(lambda: len(slack.messages("C0ALERTS")) >= 1, 15)
        finally:
            bot.send_signal(signal.SIGTERM)
            out, err = bot.communicate(timeout=30)
    assert bot.returncode == 0, err
    assert "sinks:  slack" in err and "http mode" in err and "/slack/events" in err
    posted = slack.messages("C0ALERTS")
    assert any("fcc notice 10" in m.text for m in posted)
    assert "xoxb" not in err and SECRET not in err
