"""Operator output: one log line per poll (-v, LOG_LEVEL, LOG_FORMAT=json), the Procfile,
`feeds check` naming skipped sources, and progress on a terminal only."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.app.test_cli import calea, small_config

REPO = Path(__file__).resolve().parents[2]


def with_disabled(path: Path, server) -> Path:
    small_config(path, server)
    path.write_text(
        path.read_text()
        + f"  - {{id: parked, name: Parked, url: '{server.url('/fcc')}', enabled: false}}\n"
    )
    return path


def poll_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "polled " in line and " in " in line]


def test_poll_v_logs_one_line_per_source_without_urls(tmp_path, feed_server):
    feeds = small_config(tmp_path / "feeds.yaml", feed_server)
    result = calea(
        "poll", "-v", "--feeds", str(feeds), "--db", str(tmp_path / "b.db"), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    lines = poll_lines(result.stderr)
    assert len(lines) == 2, result.stderr
    assert any("polled fcc: ok, 3 new, 0 updated in" in line for line in lines)
    assert any("polled headlines: blocked, 0 new, 0 updated in" in line for line in lines)
    host = feed_server.url("/").split("//")[1].rstrip("/")
    assert host not in result.stderr


def test_without_v_polls_are_quiet_and_log_level_env_turns_them_on(tmp_path, feed_server):
    feeds = small_config(tmp_path / "feeds.yaml", feed_server)
    args = ("poll", "--feeds", str(feeds), "--db", str(tmp_path / "b.db"))
    assert poll_lines(calea(*args, cwd=tmp_path, env={"LOG_LEVEL": ""}).stderr) == []
    loud = calea(*args, cwd=tmp_path, env={"LOG_LEVEL": "info"})
    assert len(poll_lines(loud.stderr)) == 2, loud.stderr


def test_log_format_json_writes_one_object_per_line(tmp_path, feed_server):
    feeds = small_config(tmp_path / "feeds.yaml", feed_server)
    result = calea(
        "poll", "--feeds", str(feeds), "--db", str(tmp_path / "b.db"),
        cwd=tmp_path, env={"LOG_LEVEL": "INFO", "LOG_FORMAT": "json"},
    )  # fmt: skip
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    polls = {r["source_id"]: r for r in records if "source_id" in r}
    assert set(polls) == {"fcc", "headlines"}, result.stderr
    assert polls["fcc"]["health"] == "ok" and polls["fcc"]["new"] == 3
    assert polls["fcc"]["level"] == "INFO" and "duration_seconds" in polls["fcc"]


def test_a_bad_log_level_is_one_clear_line(tmp_path):
    result = calea(
        "status", "--db", str(tmp_path / "b.db"), cwd=tmp_path, env={"LOG_LEVEL": "loud"}
    )
    assert result.returncode == 2
    assert "LOG_LEVEL must be one of" in result.stderr and "Traceback" not in result.stderr


def test_procfile_runs_one_bot_process_at_info():
    processes = {}
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    runners = [name for name, command in processes.items() if "calea-bot run" in command]
    assert runners == ["web"], processes
    command = processes["web"]
    assert " -v" in command or "LOG_LEVEL=INFO" in command


def test_feeds_check_names_the_disabled_sources_it_skips(tmp_path, feed_server):
    feeds = with_disabled(tmp_path / "feeds.yaml", feed_server)
    text = calea("feeds", "check", "--feeds", str(feeds), cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    first = text.stdout.splitlines()[0]
    assert "3 sources (2 probed, 1 skipped (disabled): parked)" in first
    as_json = calea("feeds", "check", "--json", "--feeds", str(feeds), cwd=tmp_path)
    rows = {r["id"]: r for r in json.loads(as_json.stdout)}
    assert rows["parked"]["health"] == "disabled" and rows["parked"]["skipped"] is True
    assert rows["fcc"]["health"] == "ok"


def run_with_terminal_stderr(*args: str, cwd: Path) -> tuple[str, str]:
    """Run the CLI with stderr on a pseudo-terminal; return (stdout, what the terminal got)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd, stdout=subprocess.PIPE, stderr=slave, text=True, env=dict(os.environ),
    )  # fmt: skip
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read()
    proc.wait(timeout=60)
    os.close(master)
    return out, b"".join(chunks).decode("utf-8", "replace")


def test_progress_shows_on_a_terminal_only_and_never_with_json(tmp_path, feed_server):
    feeds = with_disabled(tmp_path / "feeds.yaml", feed_server)
    db = str(tmp_path / "b.db")
    _, terminal = run_with_terminal_stderr("poll", "--feeds", str(feeds), "--db", db, cwd=tmp_path)
    assert "polled 2/2 sources…" in terminal
    _, checked = run_with_terminal_stderr("feeds", "check", "--feeds", str(feeds), cwd=tmp_path)
    assert "probed 2/2 sources…" in checked
    out, quiet = run_with_terminal_stderr(
        "poll", "--json", "--feeds", str(feeds), "--db", db, cwd=tmp_path
    )
    assert "sources…" not in quiet and "sources…" not in out
    json.loads(out)
    piped = calea("poll", "--feeds", str(feeds), "--db", db, cwd=tmp_path)
    assert "sources…" not in piped.stderr and "sources…" not in piped.stdout
