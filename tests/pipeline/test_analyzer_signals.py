"""Ctrl-C in a terminal signals the whole process group: only the bot handles it, not its
analysis workers (which used to print a KeyboardInterrupt traceback each)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.app.test_run import sent_alerts, wait_for
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import numbered_entries, rss


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the process pool needs two cores")
def test_ctrl_c_on_run_prints_no_worker_traceback(tmp_path):
    feeds, db = tmp_path / "feeds.yaml", tmp_path / "bot.db"
    with FeedServer() as server:
        server.route("/fcc", body=rss(numbered_entries("fcc", 2)))
        feeds.write_text(f"sources:\n  - {{id: fcc, name: FCC, url: '{server.url('/fcc')}'}}\n")
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--feeds", str(feeds), "--db", str(db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,  # its own process group, like a shell job
        )
        try:
            assert wait_for(lambda: sent_alerts(db) == 2), "alerts were not delivered"
            os.killpg(bot.pid, signal.SIGINT)  # what Ctrl-C does: parent and workers alike
            _, err = bot.communicate(timeout=30)
        finally:
            if bot.poll() is None:
                bot.kill()
    assert "stopped cleanly" in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
