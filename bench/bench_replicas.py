"""Delivery scaling: a burst queued in PostgreSQL, drained by 1 and then by 3 `calea-bot run`s.

    .venv/bin/python bench/bench_replicas.py            # 500 items × 200 channels × 10 workspaces
    .venv/bin/python bench/bench_replicas.py --quick    # 100 items × 40 channels × 4 workspaces
    .venv/bin/python bench/bench_replicas.py --replicas 1,2,3 --postgres-url postgresql://…

For each replica count, on a fresh database: the Slack app is installed in W workspaces (OAuth
mode: SLACK_CLIENT_ID/SECRET + CALEA_BOT_TOKEN_KEY, installations saved encrypted through
bot.store.slack_installs, each workspace its own bot token), C channels spread evenly over them
all follow one topic, and N items on it are stored with `bot.pipeline.poll.store_items` (the
storm guard raised), so N × C alerts are pending before any replica starts. Then R real
`python -m bot run` processes start on that database (one is elected to poll an empty feed;
every one drains the outbox) against the loopback fake Slack Web API, which answers 429 to a
second post in a channel within a second. Measured:

  - time from starting the replicas until every outbox row is `sent` (and the first and last
    post, so start-up is visible apart);
  - messages posted, alerts per second, 429s seen (must be 0), duplicates (outbox ids carried
    by more than one message, from each message's metadata; must be 0), lost alerts (must be 0);
  - each replica's share of the alerts, from its own log ("delivered N alerts" per drain);
  - CPU of the replicas and of the PostgreSQL server, and the load average while draining.
Results print as a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.pg import PgBench, tree_cpu_seconds  # noqa: E402
from bot.alerts.policy import AlertLimits  # noqa: E402
from bot.models import ParsedItem, Source, Topic  # noqa: E402
from bot.pipeline.analyze import analyze_items  # noqa: E402
from bot.pipeline.poll import store_items  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.slack_installs import SlackInstallations  # noqa: E402
from bot.store.token_cipher import TokenCipher  # noqa: E402
from tests.fakes.feed_server import FeedServer  # noqa: E402
from tests.fakes.feeds import rss  # noqa: E402
from tests.fakes.served import free_port  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402

CORES = os.cpu_count() or 1
SOURCE = Source(id="fcc", name="FCC", url="https://example.gov/rss")
TOPICS = (Topic(id="calea", title="CALEA", keywords=("CALEA",)),)
ITEMS_PER_POLL = 50  # items stored per transaction (one poll)
DELIVERED = re.compile(r"delivered (\d+) alerts")


class TimedSlackApi(FakeSlackApi):
    """The fake Slack Web API, noting when each chat.postMessage arrived (monotonic)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.post_times: list[float] = []

    def handle(self, method: str, params: dict, token: str | None):
        answer = super().handle(method, params, token)
        if method == "chat.postMessage":
            self.post_times.append(time.monotonic())
        return answer


def team(w: int) -> str:
    return f"T0WS{w:02d}"


def bot_token(w: int) -> str:
    return f"xoxb-bench-{team(w)}"


def install_workspaces(store: Store, slack: FakeSlackApi, key: str, workspaces: int) -> None:
    """The app installed in each workspace: the fake knows the token, the store keeps it."""
    installs = SlackInstallations(store.db, TokenCipher([key]), slack.client_id)
    for w in range(workspaces):
        slack.add_workspace(team(w), bot_token(w), bot_user_id=f"U0BOT{w:02d}")
        installs.save(
            Installation(
                app_id="A0CALEA",
                team_id=team(w),
                team_name=f"Workspace {w}",
                bot_token=bot_token(w),
                bot_id=f"B0{team(w)}",
                bot_user_id=f"U0BOT{w:02d}",
                bot_scopes="chat:write,commands",
                user_id="U0INSTALLER",
            )
        )


def queue_burst(url: str, slack: FakeSlackApi, key: str, items: int, channels: int, ws: int):
    """Install, subscribe `channels` channels (round-robin over the workspaces), store `items`
    items in polls of ITEMS_PER_POLL; returns (alerts queued, seconds it took)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    store = Store(url)
    t0 = time.perf_counter()
    try:
        install_workspaces(store, slack, key, ws)
        for n in range(channels):
            destination = store.subscriptions.ensure_destination(
                "slack", f"C{n:05d}", f"chan-{n}", workspace=team(n % ws), now=now
            )
            store.subscriptions.subscribe(destination.id, ["calea"], now=now)
        limits = AlertLimits(first_poll_alerts=items, max_alerts_per_poll=items)
        for start in range(0, items, ITEMS_PER_POLL):
            parsed = [
                ParsedItem(
                    title=f"CALEA notice {n}: lawful intercept capability, PS Docket No. 22-329",
                    link=f"https://example.gov/notice/{n}",
                    guid=f"notice-{n}",
                    text=f"Comments due soon on CALEA obligations. Notice {n}.",
                    published=now,
                )
                for n in range(start, min(items, start + ITEMS_PER_POLL))
            ]
            with store.transaction():
                store_items(
                    store,
                    SOURCE,
                    analyze_items(parsed, source=SOURCE, topics=TOPICS),
                    now=now,
                    limits=limits,
                )
        counts = store.outbox.counts()
    finally:
        store.close()
    assert counts == {"pending": items * channels}, counts
    return items * channels, time.perf_counter() - t0


class Replica:
    """One `python -m bot run` process, its output in a log file."""

    def __init__(self, name: str, folder: Path, env: dict[str, str], feeds: Path) -> None:
        self.name = name
        self.log_path = folder / f"{name}.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--feeds", str(feeds)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**env, "PORT": str(free_port())},
            cwd=folder,
        )
        self.cpu = 0.0

    def delivered(self) -> int:
        """Alerts this replica reported delivered (its log's "delivered N alerts" lines)."""
        return sum(int(n) for n in DELIVERED.findall(self.log_path.read_text(errors="replace")))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.cpu = tree_cpu_seconds(self.process.pid)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


class LoadSampler:
    """/proc/loadavg's 1-minute figure every few seconds, in a thread."""

    def __init__(self, every: float = 5.0) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.samples.append(float(Path("/proc/loadavg").read_text().split()[0]))

    def __enter__(self) -> LoadSampler:
        self.samples.append(float(Path("/proc/loadavg").read_text().split()[0]))
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def replica_env(url: str, slack: FakeSlackApi, key: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "CALEA_BOT_", "DATABASE_URL", "TEAMS_"))
    }
    env.update(
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(REPO),
        LOG_LEVEL="INFO",
        DATABASE_URL=url,
        SLACK_CLIENT_ID=slack.client_id,
        SLACK_CLIENT_SECRET=slack.client_secret,
        SLACK_SIGNING_SECRET="bench-signing-secret",
        SLACK_API_URL=slack.base_url,
        CALEA_BOT_TOKEN_KEY=key,
    )
    return env


def carried(slack: FakeSlackApi) -> Counter:
    """(channel, outbox id) → how many Slack messages carried it (from message metadata)."""
    seen: Counter = Counter()
    for message in slack.messages():
        payload = (message.metadata or {}).get("event_payload") or {}
        ids = str(payload.get("outbox_ids") or payload.get("outbox_id") or "")
        for outbox_id in filter(None, ids.split(",")):
            seen[(message.channel, int(outbox_id))] += 1
    return seen


def run_once(pg: PgBench, replicas: int, args, folder: Path) -> dict:
    """A fresh database, the burst queued, `replicas` processes until the outbox is all sent."""
    url = pg.new_database()
    key = Fernet.generate_key().decode()
    with FeedServer() as feeds_server, TimedSlackApi(min_post_interval=1.0) as slack:
        queued, queue_seconds = queue_burst(
            url, slack, key, args.items, args.channels, args.workspaces
        )
        print(f"  {queued:,} alerts queued in {queue_seconds:.1f} s", flush=True)
        feeds_server.route("/fcc", body=rss([]))
        feeds = folder / "feeds.yaml"
        feeds.write_text(
            "topics:\n  calea:\n    title: CALEA\n    keywords: [CALEA]\n"
            f"sources:\n  - {{id: fcc, name: FCC, url: '{feeds_server.url('/fcc')}'}}\n"
        )
        env = replica_env(url, slack, key)
        store = Store(url)
        procs: list[Replica] = []
        db_cpu0 = pg.cpu_seconds()
        try:
            with LoadSampler() as load:
                t0 = time.monotonic()
                procs = [Replica(f"r{replicas}-{n}", folder, env, feeds) for n in range(replicas)]
                deadline = t0 + args.timeout
                while True:
                    counts = store.outbox.counts()
                    if counts == {"sent": queued}:
                        break
                    dead = [p.name for p in procs if p.process.poll() is not None]
                    if dead or time.monotonic() > deadline:
                        raise SystemExit(f"stopped: outbox {counts}, exited {dead}")
                    time.sleep(0.25)
                wall = time.monotonic() - t0
                db_cpu = pg.cpu_seconds()
        finally:
            store.close()
            for proc in procs:
                proc.stop()
        seen = carried(slack)
        posts = slack.calls("chat.postMessage")
        times = sorted(slack.post_times)
        logs = "".join(p.log_path.read_text(errors="replace") for p in procs)
    return {
        "replicas": replicas,
        "queued": queued,
        "queue_seconds": queue_seconds,
        "wall": wall,
        "first_post": times[0] - t0 if times else None,
        "last_post": times[-1] - t0 if times else None,
        "messages": sum(1 for c in posts if c.status == 200 and c.error is None),
        "rate_limited": sum(1 for c in posts if c.status == 429),
        "errors": sum(1 for c in posts if c.status != 429 and c.error),
        "alerts_received": len(seen),
        "duplicates": sum(n - 1 for n in seen.values() if n > 1),
        "lost": queued - len(seen),
        "shares": [p.delivered() for p in procs],
        "replica_cpu": [p.cpu for p in procs],
        "db_cpu": None if db_cpu0 is None or db_cpu is None else db_cpu - db_cpu0,
        "load": (statistics.mean(load.samples), max(load.samples)),
        "tracebacks": logs.count("Traceback"),
    }


def print_table(args, results: list[dict]) -> None:
    """The results as a Markdown table, one column per replica count."""
    heads = [f"{r['replicas']} replica{'s' if r['replicas'] > 1 else ''}" for r in results]

    def row(label: str, fn) -> str:
        return "| " + " | ".join([label, *(fn(r) for r in results)]) + " |"

    def seconds(value: float | None) -> str:
        return "–" if value is None else f"{value:.1f} s"

    def shares(r: dict) -> str:
        total = sum(r["shares"]) or 1
        return " / ".join(f"{n:,} ({n / total:.0%})" for n in r["shares"])

    def cpu(r: dict) -> str:
        db = "–" if r["db_cpu"] is None else f"{r['db_cpu']:.0f} s"
        return " + ".join(f"{c:.0f}" for c in r["replica_cpu"]) + f" s / {db}"

    def load(r: dict) -> str:
        mean, peak = r["load"]
        return f"{mean:.1f} / {peak:.1f}"

    size = (
        f"{args.items} items × {args.channels} channels in {args.workspaces} workspaces "
        f"= {args.items * args.channels:,} alerts"
    )
    print(f"\n| {size} | " + " | ".join(heads) + " |")
    print("|---|" + "---|" * len(results))
    lines = [
        row("time until the outbox is all sent", lambda r: seconds(r["wall"])),
        row(
            "… first / last post after start",
            lambda r: f"{seconds(r['first_post'])} / {seconds(r['last_post'])}",
        ),
        row("alerts per second (queued ÷ time)", lambda r: f"{r['queued'] / r['wall']:.0f}"),
        row("messages posted", lambda r: f"{r['messages']:,}"),
        row("… alerts per message (mean)", lambda r: f"{r['queued'] / max(1, r['messages']):.1f}"),
        row("429s seen", lambda r: str(r["rate_limited"])),
        row("duplicates (outbox ids in > 1 message)", lambda r: str(r["duplicates"])),
        row("lost (queued, never posted)", lambda r: str(r["lost"])),
        row("alerts per replica (its log)", shares),
        row("CPU: replicas / PostgreSQL server", cpu),
        row("load average (1 min) while draining: mean / max", load),
    ]
    print("\n".join(lines))
    print(
        f"\n(Python {sys.version.split()[0]}, {CORES} cores; queueing took "
        + ", ".join(f"{r['queue_seconds']:.0f} s" for r in results)
        + ")"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--workspaces", type=int, default=10)
    parser.add_argument("--replicas", default="1,3", help="replica counts to run, in order")
    parser.add_argument("--quick", action="store_true", help="100 items × 40 channels × 4 ws")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run at most")
    parser.add_argument(
        "--postgres-url",
        metavar="URL",
        help="an existing PostgreSQL server (fresh databases, dropped afterwards) instead of a "
        "throw-away one",
    )
    args = parser.parse_args()
    if args.quick:
        args.items, args.channels, args.workspaces = 100, 40, 4
    counts = [int(n) for n in args.replicas.split(",")]
    results = []
    with PgBench.start(args.postgres_url) as pg, tempfile.TemporaryDirectory() as folder:
        print(
            f"{pg.describe()}; {args.items} items × {args.channels} channels × "
            f"{args.workspaces} workspaces; {CORES} cores",
            flush=True,
        )
        for replicas in counts:
            print(f"{replicas} replica(s):", flush=True)
            result = run_once(pg, replicas, args, Path(folder))
            print(f"  {result}", flush=True)
            results.append(result)
    print_table(args, results)


if __name__ == "__main__":
    main()
