"""The command line as a user runs it: real processes, real files, a loopback feed server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app.cli import cli
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import numbered_entries, rss

REPO = Path(__file__).resolve().parents[2]


def calea(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def small_config(path: Path, server: FeedServer) -> Path:
    server.route("/fcc", body=rss(numbered_entries("fcc", 3)), etag='"x"')
    server.route("/blocked", status=403)
    path.write_text(
        "topics:\n  calea:\n    title: CALEA\n    keywords: [CALEA]\n"
        "sources:\n"
        f"  - {{id: fcc, name: FCC test, url: '{server.url('/fcc')}'}}\n"
        f"  - {{id: headlines, name: FCC headlines, url: '{server.url('/blocked')}'}}\n"
    )
    return path


@pytest.fixture
def workdir(tmp_path):
    return tmp_path


def test_every_command_has_help():
    def walk(group, prefix=()):
        for name, command in group.commands.items():
            yield (*prefix, name), command
            if hasattr(command, "commands"):
                yield from walk(command, (*prefix, name))

    for path, command in walk(cli):
        assert command.help, f"calea-bot {' '.join(path)} has no help text"


def test_poll_once_then_status_and_search(workdir, feed_server):
    feeds = small_config(workdir / "feeds.yaml", feed_server)
    env = {"CALEA_BOT_FEEDS": str(feeds), "CALEA_BOT_DB": str(workdir / "x.db")}
    polled = calea("poll", "--once", cwd=workdir, env=env)
    assert polled.returncode == 0, polled.stderr
    assert "polled 2 feeds: 1 ok, 0 not modified, 1 failed; items: 3 new" in polled.stdout
    assert "headlines: blocked" in polled.stdout
    assert polled.stdout.count("[NEW] FCC test") == 3

    again = calea("poll", "--once", "--json", cwd=workdir, env=env)
    report = json.loads(again.stdout)
    assert (report["feeds_not_modified"], report["items_new"]) == (1, 0)

    status = calea("status", "--json", cwd=workdir, env=env)
    data = json.loads(status.stdout)
    by_id = {s["id"]: s for s in data["sources"]}
    assert by_id["headlines"]["health"] == "blocked"
    assert by_id["headlines"]["consecutive_failures"] == 2
    assert by_id["fcc"]["not_modified_share"] == 0.5
    assert "1 failing: FCC headlines (blocked)" in data["summary"]

    text_status = calea("status", cwd=workdir, env=env)
    assert "blocked" in text_status.stdout and text_status.returncode == 0

    found = calea("search", "fcc", "notice", "2", "--json", cwd=workdir, env=env)
    assert [i["title"] for i in json.loads(found.stdout)] == [
        "fcc notice 2: CALEA compliance update"
    ]


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("sources: [}", "line"),
        ("sources:\n  - {id: a, url: 'ftp://x'}\n", "sources[0]"),
        ("sources:\n  - {id: a, url: 'https://x.gov/', interval: 5}\n", "interval"),
    ],
)
def test_broken_config_is_one_clear_message_without_traceback(workdir, yaml_text, expected):
    feeds = workdir / "feeds.yaml"
    feeds.write_text(yaml_text)
    result = calea(
        "poll", "--once", "--feeds", str(feeds), "--db", str(workdir / "x.db"), cwd=workdir
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(feeds) in result.stderr and expected in result.stderr


def test_missing_feeds_file_names_the_fix(workdir):
    # Named but missing (with nothing named, the bundled default is used: test_defaults.py).
    result = calea("status", "--feeds", "feeds.yaml", cwd=workdir)
    assert result.returncode == 2
    assert "feeds.yaml" in result.stderr and "Traceback" not in result.stderr


def test_unusable_database_path_is_a_clear_error(workdir):
    (workdir / "feeds.yaml").write_text("sources:\n  - {id: a, url: 'https://x.gov/f'}\n")
    (workdir / "dir.db").mkdir()
    result = calea("status", "--db", str(workdir / "dir.db"), cwd=workdir)
    assert result.returncode == 2
    assert "cannot open database" in result.stderr and "Traceback" not in result.stderr


def test_feeds_check_probes_every_source(workdir, feed_server):
    feeds = small_config(workdir / "feeds.yaml", feed_server)
    result = calea("feeds", "check", "--feeds", str(feeds), cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "valid — 2 sources" in result.stdout
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[2:]}
    assert "ok" in lines["fcc"] and "3 items" in lines["fcc"]
    assert "blocked" in lines["headlines"]


def test_demo_runs_offline_with_the_real_topics():
    result = calea("demo", "--feeds", str(REPO / "feeds.yaml"), cwd=REPO)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[NEW]" in out and "calea" in out
    assert "not modified" in out
    assert "blocked" in out and "not_a_feed" in out
