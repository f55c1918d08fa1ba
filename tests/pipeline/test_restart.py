"""Kill -9 in the middle of a poll cycle, restart: nothing lost, nothing repeated (SQLite and
PostgreSQL)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import numbered_entries, rss

FEEDS_YAML = """
settings:
  read_timeout: 30
  total_timeout: 60
  first_poll_alerts: 50
topics:
  calea:
    title: CALEA
    keywords: [CALEA]
sources:
{sources}
"""


def write_config(path: Path, server: FeedServer, names: list[str]) -> None:
    sources = "\n".join(f"  - {{id: {n}, name: {n}, url: '{server.url('/' + n)}'}}" for n in names)
    path.write_text(FEEDS_YAML.format(sources=sources))


def rows(db: Path | str, sql: str) -> list[tuple]:
    """Rows straight from the database file or server (no migrations, no Store)."""
    if isinstance(db, str):
        import psycopg

        with psycopg.connect(db) as conn:
            return conn.execute(sql).fetchall()
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def stored_count(db: Path | str) -> int:
    try:
        return rows(db, "SELECT count(*) FROM items")[0][0]
    except Exception:  # noqa: BLE001 - not created yet
        return 0


def poll_once(feeds: Path, db: Path | str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "poll", "--once", "--feeds", str(feeds), "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_kill_mid_cycle_then_restart_loses_nothing_and_repeats_nothing(tmp_path, db_target):
    fast = [f"fast{n}" for n in range(4)]
    feeds, db = tmp_path / "feeds.yaml", db_target
    with FeedServer() as server:
        for name in fast:
            server.route(f"/{name}", body=rss(numbered_entries(name, 5)), etag=f'"{name}"')
        server.route("/stuck", body=rss(numbered_entries("stuck", 5)), delay=30)
        write_config(feeds, server, [*fast, "stuck"])

        first = poll_once(feeds, db)
        deadline = time.monotonic() + 20
        while stored_count(db) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stored_count(db) == 20, "the fast feeds should be stored while 'stuck' hangs"
        first.send_signal(signal.SIGKILL)
        first_out, _ = first.communicate(timeout=10)

        server.route("/stuck", body=rss(numbered_entries("stuck", 5)))
        second = poll_once(feeds, db)
        second_out, second_err = second.communicate(timeout=60)

    assert second.returncode == 0, second_err
    printed = first_out + second_out
    titles = [
        f"{name} notice {n}: CALEA compliance update" for name in [*fast, "stuck"] for n in range(5)
    ]
    for title in titles:
        assert printed.count(title) == 1, title
    assert stored_count(db) == 25
    states = dict(rows(db, "SELECT state, count(*) FROM outbox GROUP BY state"))
    assert states == {"sent": 25}
    assert "4 not modified" in second_out
