"""Slack benchmark, Socket Mode beside HTTP mode: `/calea status` at the same store size.

    .venv/bin/python bench/bench_socket.py            # 20,000 items, 200 requests per mode
    .venv/bin/python bench/bench_socket.py --quick    # 20,000 items, 50 requests per mode
    .venv/bin/python bench/bench_socket.py --stored 1000000 --db PATH   # reuse a store

Builds the store as bench/bench_slack.py does (same generator), then, one mode after the
other, runs the bot in its own process against the loopback fakes:
  - HTTP mode: signed requests to the bot's POST /slack/events (bench_slack's harness);
  - Socket Mode: `slash_commands` envelopes from the fake Socket Mode server
    (tests/fakes/slack_socket.py) over the bot's real WebSocket connection (SLACK_APP_TOKEN,
    apps.connections.open on the fake Web API).
Timed per request: the ack (HTTP response / the envelope's ack frame) and the reply reaching
the fake's response_url (what the user waits for). Requests are sequential.
Results print as Markdown rows for the README.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_slack import (  # noqa: E402
    CORES,
    FEEDS,
    USER,
    BotProcess,
    TimedSlackApi,
    db_size_mb,
    ensure_store,
    percentile,
    time_command,
)
from bot.config import load_config  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from tests.fakes.slack_socket import FakeSocketMode  # noqa: E402

COMMAND = "status"


def serve_socket_bot(db: Path, api_url: str, app_token: str) -> None:
    """Child process: Slack in Socket Mode as `calea-bot run` wires it, minus feed polling."""
    from bot.app.build import Paths
    from bot.app.run import connect_platforms, digest_schedule

    env = {
        "SLACK_BOT_TOKEN": TimedSlackApi().token,
        "SLACK_APP_TOKEN": app_token,
        "SLACK_API_URL": api_url,
    }
    config = load_config(FEEDS)
    settings = load_settings(env)
    paths = Paths(FEEDS, db, settings=settings)
    platforms = connect_platforms(config, paths, digest_schedule(settings))
    platforms.start()
    print("READY", flush=True)
    stopped = []
    signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))
    while not stopped:
        time.sleep(0.1)
    platforms.stop()


class SocketBotProcess:
    """`bench_socket.py --serve-socket-bot` in a subprocess, connected to the fake server."""

    def __init__(self, db: Path, slack: TimedSlackApi) -> None:
        args = [sys.executable, __file__, "--serve-socket-bot", "--db", str(db)]
        args += ["--api-url", slack.base_url, "--app-token", slack.app_token]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "READY":
            self.proc.kill()
            raise SystemExit("the Socket Mode bot process did not start")

    def close(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def time_socket_command(
    socket: FakeSocketMode, slack: TimedSlackApi, text: str, runs: int, warm_up: int
) -> dict:
    """Send `/calea text` envelopes sequentially; times to the ack frame and to the reply."""
    acked, replied, failures = [], [], 0
    reply: dict = {}
    for run in range(warm_up + runs):
        seen = len(slack.responses)
        t0 = time.perf_counter()
        envelope = socket.slash_command(
            text, response_url=slack.response_url(f"s{run}"), user_id=USER
        )
        ack = socket.wait_for_ack(envelope, timeout=30)
        arrived = slack.wait_for(lambda seen=seen: len(slack.responses) > seen, timeout=30)
        if ack is None or not arrived:
            failures += 1
            continue
        reply = slack.responses[seen]
        if reply.get("text", "").startswith("Sorry"):
            failures += 1
        if run >= warm_up:
            acked.append(ack.latency)
            replied.append(slack.reply_times[seen] - t0)
    return {"acked": acked, "replied": replied, "failures": failures, "text": reply.get("text")}


def bench_http(path: Path, runs: int, warm_up: int) -> dict:
    with TimedSlackApi(min_post_interval=1.0) as slack:
        slack.add_user(USER)
        bot = BotProcess(path, slack.base_url)
        try:
            with httpx.Client(timeout=30) as client:
                return time_command(client, slack, bot.url, COMMAND, runs, warm_up)
        finally:
            bot.close()


def bench_socket(path: Path, runs: int, warm_up: int) -> dict:
    socket = FakeSocketMode()
    with TimedSlackApi(min_post_interval=1.0, socket_mode=socket) as slack:
        slack.add_user(USER)
        bot = SocketBotProcess(path, slack)
        try:
            if not socket.wait_for_connections(1, timeout=30):
                raise SystemExit("the Socket Mode bot never connected")
            return time_socket_command(socket, slack, COMMAND, runs, warm_up)
        finally:
            bot.close()


def _ms(values: list[float]) -> str:
    ms = [1000 * v for v in values]
    return f"{statistics.median(ms):.1f} / {percentile(ms, 99):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stored", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=200, help="timed requests per mode")
    parser.add_argument("--warm-up", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="50 requests per mode")
    parser.add_argument("--db", type=Path, help="keep the store here (reused if it exists)")
    parser.add_argument("--serve-socket-bot", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--app-token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_socket_bot:
        serve_socket_bot(args.db, args.api_url, args.app_token)
        return
    if args.quick:
        args.runs = 50
    config = load_config(FEEDS)
    channels = [f"C0BURST{n:02d}" for n in range(1, 21)]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="calea-socket-bench-") as folder:
        path = args.db or Path(folder) / "slack.db"
        ensure_store(path, args.stored, config, channels)
        size = db_size_mb(path)
        print(f"store: {args.stored:,} items, {size:.0f} MB", flush=True)
        results = {"HTTP mode": bench_http(path, args.runs, args.warm_up)}
        results["Socket Mode"] = bench_socket(path, args.runs, args.warm_up)
    print("\n| measure | result | target |\n|---|---|---|")
    for mode, result in results.items():
        fails = f", {result['failures']} failed" if result["failures"] else ""
        print(
            f"| `/calea {COMMAND}`, {mode}, {args.stored:,} items: reply p50 / p99 "
            f"({args.runs} runs{fails}) | {_ms(result['replied'])} | p99 ≤ 100 ms |"
        )
        print(f"| … {mode} ack p50 / p99 | {_ms(result['acked'])} | ≤ 3 s |")
    total = time.perf_counter() - started
    print(f"\n(Python {sys.version.split()[0]}, {CORES} cores, whole run {total:.0f} s)")


if __name__ == "__main__":
    main()
