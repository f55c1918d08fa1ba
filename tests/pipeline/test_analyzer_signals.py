"""Ctrl-C in a terminal signals the whole process group: only the bot handles it, not its
analysis workers (which used to print a KeyboardInterrupt traceback each)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

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


def children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(p) for p in text.split()}


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the process pool needs two cores")
def test_workers_exit_when_the_bot_is_killed(tmp_path):
    feeds, db = tmp_path / "feeds.yaml", tmp_path / "bot.db"
    with FeedServer() as server:
        server.route("/fcc", body=rss(numbered_entries("fcc", 1)))
        feeds.write_text(f"sources:\n  - {{id: fcc, name: FCC, url: '{server.url('/fcc')}'}}\n")
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--feeds", str(feeds), "--db", str(db)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        workers: set[int] = set()
        try:
            assert wait_for(lambda: sent_alerts(db) == 1), "alerts were not delivered"
            workers = children(bot.pid)
            assert workers
            bot.kill()  # SIGKILL to the bot alone: it cannot stop its workers itself
            bot.wait(timeout=10)
            assert wait_for(lambda: not any(alive(p) for p in workers), 15), "orphaned workers"
        finally:
            if bot.poll() is None:
                os.killpg(bot.pid, signal.SIGKILL)
            for pid in workers:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
