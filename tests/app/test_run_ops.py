"""`calea-bot run` with PORT and CALEA_BOT_METRICS=1: /readyz checks and /metrics, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import numbered_entries, rss
from tests.test_container import free_port, wait_for


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_run_serves_readyz_checks_and_metrics(tmp_path):
    with FeedServer() as server:
        server.route("/f", body=rss(numbered_entries("f", 2)))
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(f"sources:\n  - {{id: fcc, url: '{server.url('/f')}'}}\n")
        port = free_port()
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_"))}
        env = {**clean, "PORT": str(port), "HOST": "127.0.0.1", "CALEA_BOT_METRICS": "1"}
        bot = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "run",
                "--feeds",
                str(feeds),
                "--db",
                str(tmp_path / "b.db"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"

        def polled() -> bool:
            try:
                return (
                    'calea_polls_total{health="ok",source="fcc"} 1.0' in _get(f"{base}/metrics")[1]
                )
            except OSError:
                return False

        try:
            assert wait_for(polled, 30), "no poll counted in /metrics"
            status, body = _get(f"{base}/readyz")
            checks = json.loads(body)
            assert status == 200, checks
            assert {"database", "scheduler", "polls", "outbox"} <= checks.keys()
            assert checks["scheduler"]["ready"] is True
        finally:
            bot.terminate()
            try:
                _, err = bot.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(bot.pid, 9)
                err = ""
        assert "/metrics" in err
