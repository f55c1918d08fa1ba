"""Deadline queries on a large store: `calea-bot deadlines`, `/calea deadlines`, reminders.

    .venv/bin/python bench/bench_deadlines.py                 # 1,000,000 items (long fill)
    .venv/bin/python bench/bench_deadlines.py --stored 100000 # a smaller store
    .venv/bin/python bench/bench_deadlines.py --db PATH       # build once at PATH, reuse it

The store is filled by bench_slack's generator (realistic FCC titles and texts; about one in
four states a comment deadline 30 days after publication) through the real `store_items`,
so deadlines are derived exactly as in production. Then each query runs `--runs` times,
in-process on one connection, and p50 / p99 are printed as a Markdown table. Target: the
chat p99 of 100 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_slack import COMMAND_CHANNEL, FEEDS, db_size_mb, ensure_store  # noqa: E402
from bot.commands.context import CommandContext, CommandServices  # noqa: E402
from bot.commands.dispatch import run_command  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.pipeline.deadlines import queue_due_reminders_in_transaction  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.database import transaction  # noqa: E402


def timed(fn, runs: int) -> tuple[float, float]:
    """p50 and p99 of `fn()` in milliseconds."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    config = load_config(FEEDS)
    path = args.db or Path(tempfile.mkdtemp(prefix="calea-deadlines-")) / "bench.db"
    ensure_store(path, args.stored, config, [])
    store = Store(path)
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    deadlines = store.db.execute("SELECT count(*) FROM deadlines").fetchone()[0]
    dated = store.db.execute(
        "SELECT count(*) FROM deadlines WHERE due_date >= ?", [today.isoformat()]
    ).fetchone()[0]
    ctx = CommandContext("slack", COMMAND_CHANNEL, "reg-alerts", "U1", "alice", False, now)
    services = CommandServices(config=config, store=store)

    def chat(text: str):
        return lambda: run_command(text, ctx, services)

    def requeue():  # the reminder job's query and decision, rolled back each run
        with_rollback(store, lambda: queue_due_reminders_in_transaction(store, now=now))

    cases = {
        "`deadlines` (all upcoming, CLI query)": lambda: store.deadlines.upcoming(today),
        "`deadlines --days 7`": lambda: store.deadlines.upcoming(today, days=7),
        "`deadlines --topic robocalls`": lambda: store.deadlines.upcoming(
            today, topics=("robocalls",)
        ),
        "`deadlines --topic salt-typhoon` (rare)": lambda: store.deadlines.upcoming(
            today, topics=("salt-typhoon",)
        ),
        "`deadlines --matter calea-network-security`": lambda: store.deadlines.upcoming(
            today, matter="calea-network-security"
        ),
        "`/calea deadlines` (channel's topics)": chat("deadlines"),
        "`/calea deadlines PS 22-329`": chat("deadlines PS 22-329"),
        "`/calea deadlines calea`": chat("deadlines calea"),
        "reminder job (every minute): due deadlines × subscriptions": requeue,
    }
    print(
        f"\n{args.stored:,} items stored ({db_size_mb(path):.0f} MB), {deadlines:,} deadlines "
        f"({dated:,} upcoming); {args.runs} runs each\n"
    )
    print("| query | p50 ms | p99 ms |\n|---|---|---|")
    for name, fn in cases.items():
        p50, p99 = timed(fn, args.runs)
        print(f"| {name} | {p50:.1f} | {p99:.1f} |", flush=True)
    store.close()


class _Rollback(Exception):
    pass


def with_rollback(store: Store, fn) -> None:
    """Run `fn` in a transaction that is always rolled back."""
    try:
        with transaction(store.db):
            fn()
            raise _Rollback
    except _Rollback:
        pass


if __name__ == "__main__":
    main()
