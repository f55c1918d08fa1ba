"""One bot per database: a second `run` is refused; a killed holder's lease expires."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings
from bot.store.lease import InstanceLease, LeaseHeldError
from tests.app.test_run import wait_for
from tests.fakes.feeds import numbered_entries, rss

TTL = 4.0


def lease_row(db):
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT pid, host FROM instance_lease").fetchone()
    except sqlite3.OperationalError:
        return None


def start_run(feeds, db, **popen):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "CALEA_BOT_LEASE_TTL": str(TTL)}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--feeds", str(feeds), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        **popen,
    )


def polls(db) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT coalesce(sum(polls), 0) FROM source_state").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_second_run_is_refused_and_a_killed_holders_lease_expires(tmp_path, feed_server):
    feeds, db = tmp_path / "feeds.yaml", tmp_path / "bot.db"
    feed_server.route("/f", body=rss(numbered_entries("f", 1)))
    feeds.write_text(f"sources:\n  - {{id: f, url: '{feed_server.url('/f')}', interval: 60}}\n")
    first = start_run(feeds, db)
    procs = [first]
    try:
        assert wait_for(lambda: lease_row(db) == (first.pid, socket.gethostname()), 30)
        second = start_run(feeds, db)
        procs.append(second)
        _, err = second.communicate(timeout=30)
        assert second.returncode == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert f"pid {first.pid}" in lines[0] and f"host {socket.gethostname()}" in lines[0]
        assert "Traceback" not in err

        os.killpg(first.pid, signal.SIGKILL)  # a crash: no clean shutdown, the lease stays
        first.wait(timeout=10)
        killed_at = time.monotonic()
        assert lease_row(db) == (first.pid, socket.gethostname())
        too_soon = start_run(feeds, db)
        procs.append(too_soon)
        assert too_soon.wait(timeout=30) == 2 or time.monotonic() - killed_at >= TTL

        time.sleep(max(0.0, TTL - (time.monotonic() - killed_at)) + 0.2)
        feed_server.route("/g", body=rss(numbered_entries("g", 1)))
        with feeds.open("a") as f:  # a new source: polled at once, showing the scheduler runs
            f.write(f"  - {{id: g, url: '{feed_server.url('/g')}', interval: 60}}\n")
        third = start_run(feeds, db)
        procs.append(third)
        assert wait_for(lambda: lease_row(db) == (third.pid, socket.gethostname()), 30)
        before = polls(db)
        assert wait_for(lambda: polls(db) > before, 30)  # its scheduler is running
        time.sleep(1.5)  # a few heartbeats: still running, still the holder
        assert third.poll() is None and lease_row(db)[0] == third.pid
        third.send_signal(signal.SIGTERM)
        _, err = third.communicate(timeout=30)
        assert third.returncode == 0, err
        assert "taking over the database lease" in err
        assert lease_row(db) is None  # released on clean shutdown
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)


def test_lease_in_process_heartbeat_and_release(tmp_path):
    clock = [1000.0]
    db = tmp_path / "bot.db"
    one = InstanceLease(db, ttl=60, heartbeat=30, clock=lambda: clock[0]).acquire()
    two = InstanceLease(db, ttl=60, heartbeat=30, clock=lambda: clock[0])
    with pytest.raises(LeaseHeldError, match=f"pid {os.getpid()}"):
        two.acquire()
    clock[0] += 59
    assert one.refresh()
    clock[0] += 59
    with pytest.raises(LeaseHeldError):
        two.acquire()
    clock[0] += 61
    two.acquire()  # expired: taken over
    assert not one.refresh()
    one.release()  # not ours any more: leaves two's row alone
    assert two.holder().holder_id == two.holder_id
    two.release()
    assert InstanceLease(db).holder() is None


def lease_timing(env):
    settings = load_settings(env)
    return settings.lease_ttl, settings.lease_heartbeat


def test_lease_timing_from_env():
    assert lease_timing({}) == (60.0, 15.0)
    assert lease_timing({"CALEA_BOT_LEASE_TTL": "4"}) == (4.0, 1.0)
    with pytest.raises(ConfigError, match="CALEA_BOT_LEASE_TTL"):
        lease_timing({"CALEA_BOT_LEASE_TTL": "soon"})
