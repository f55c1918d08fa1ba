"""`calea-bot run` as an operator starts it: prints its plan, polls, alerts, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import numbered_entries, rss


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def sent_alerts(db: Path) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*) FROM outbox WHERE state = 'sent'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_run_polls_alerts_and_stops_cleanly(tmp_path, stop_signal):
    feeds, db = tmp_path / "feeds.yaml", tmp_path / "bot.db"
    with FeedServer() as server:
        server.route("/fcc", body=rss(numbered_entries("fcc", 3)))
        server.route("/ntia", status=503, headers={"Retry-After": "600"})
        feeds.write_text(
            "topics:\n  calea:\n    title: CALEA\n    keywords: [CALEA]\n"
            "sources:\n"
            f"  - {{id: fcc, name: FCC test, url: '{server.url('/fcc')}'}}\n"
            f"  - {{id: ntia, name: NTIA, url: '{server.url('/ntia')}'}}\n"
        )
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--feeds", str(feeds), "--db", str(db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            assert wait_for(lambda: sent_alerts(db) == 3), "alerts were not delivered"
            bot.send_signal(stop_signal)
            out, err = bot.communicate(timeout=30)
        finally:
            if bot.poll() is None:
                bot.kill()
    assert bot.returncode == 0, err
    assert out.count("[NEW] FCC test") == 3
    assert "2 sources enabled" in err and "sinks:  console" in err and str(db) in err
    assert "stopped cleanly" in err
    assert "Traceback" not in err, err
    with sqlite3.connect(db) as conn:
        health = dict(conn.execute("SELECT source_id, health FROM source_state").fetchall())
    assert health == {"fcc": "ok", "ntia": "server_error"}
