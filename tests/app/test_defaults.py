"""Running from any folder: the bundled default configuration, `--feeds` in messages, `poll`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.app.build import bundled_feeds_path, resolve_paths
from bot.settings import load_settings
from tests.app.test_cli import calea, small_config

REPO = Path(__file__).resolve().parents[2]


def test_bundled_default_feeds_stay_identical_to_the_repository_feeds_yaml():
    assert bundled_feeds_path().read_bytes() == (REPO / "feeds.yaml").read_bytes()


def test_resolve_paths_falls_back_to_the_bundled_configuration_only_when_nothing_is_named(
    tmp_path,
):
    paths = resolve_paths(load_settings({}), cwd=tmp_path)
    assert paths.bundled_feeds and paths.feeds == bundled_feeds_path()
    (tmp_path / "feeds.yaml").write_text("sources: []\n")
    assert not resolve_paths(load_settings({}), cwd=tmp_path).bundled_feeds
    named = resolve_paths(load_settings({"CALEA_BOT_FEEDS": "x.yaml"}), cwd=tmp_path)
    assert named.feeds == Path("x.yaml") and not named.bundled_feeds


def test_missing_feeds_file_message_names_the_real_option(tmp_path):
    result = calea("status", "--feeds", str(tmp_path / "nowhere.yaml"), cwd=tmp_path)
    assert result.returncode == 2
    assert "--feeds" in result.stderr and "--config" not in result.stderr


def test_demo_runs_from_any_folder(tmp_path):
    result = calea("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "default configuration bundled" in result.stderr
    assert "Traceback" not in result.stderr
    assert "== Status" in result.stdout


def test_run_without_feeds_yaml_starts_on_the_bundled_configuration(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CALEA_BOT_", "SLACK_"))}
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--db", str(tmp_path / "bot.db")],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)},
    )
    try:
        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = bot.stderr.readline()
            seen.append(line)
            if "  db:" in line:
                break
        bot.send_signal(signal.SIGTERM)  # may arrive before the handlers: the exit code varies
        rest = bot.communicate(timeout=60)[1]
    finally:
        if bot.poll() is None:
            bot.kill()
    err = "".join(seen) + rest
    notices = [line for line in err.splitlines() if "default configuration bundled" in line]
    assert len(notices) == 1, err
    assert "default_feeds.yaml" in err and "sources enabled" in err


def test_poll_without_once_runs_one_cycle(tmp_path, feed_server):
    feeds = small_config(tmp_path / "feeds.yaml", feed_server)
    db = str(tmp_path / "bot.db")
    result = calea("poll", "--feeds", str(feeds), "--db", db, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "polled 2 feeds: 1 ok" in result.stdout
    again = calea("poll", "--once", "--feeds", str(feeds), "--db", db, cwd=tmp_path)
    assert again.returncode == 0 and "polled 2 feeds" in again.stdout
