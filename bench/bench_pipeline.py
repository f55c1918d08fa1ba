"""Pipeline benchmark: a loopback farm of N feeds × M items, every response delayed.

    .venv/bin/python bench/bench_pipeline.py            # the full run (about 3-4 minutes)
    .venv/bin/python bench/bench_pipeline.py --quick    # smaller store, sampled baseline
    .venv/bin/python bench/bench_pipeline.py --latency  # new item → alert latency, p50/p99
    .venv/bin/python bench/bench_pipeline.py --quick --postgres   # the same on PostgreSQL
    .venv/bin/python bench/bench_pipeline.py --postgres-url postgresql://…  # an existing server

Measures, on this machine:
  1. full cycle, everything new (wall, CPU of the bot and its workers), against a sequential
     fetch-then-feedparser baseline and the parse bound (feedparser CPU ÷ cores);
  2. unchanged re-poll, with 304s and with byte-identical bodies (wall, CPU share);
  3. dedupe + store of a 25,000-item batch with 1 % new into a store holding 1,000,000 items;
  4. peak RSS of the bot process and of each worker.
The store is a SQLite file by default; `--postgres` starts a throw-away PostgreSQL server
(tests/pg_server.py) and gives each measurement a fresh database on it, `--postgres-url` does
the same on an existing server. The server's CPU (its backends) is then reported beside the
bot's: with SQLite the database work is inside the bot's CPU, with PostgreSQL it is not.
Results print as a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import feedparser
import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.farm_server import host_address  # noqa: E402
from bench.pg import PgBench, Targets  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.feeds.fetch import Fetcher  # noqa: E402
from bot.models import ParsedItem, Source  # noqa: E402
from bot.pipeline.analyze import analyze_items  # noqa: E402
from bot.pipeline.analyzer import ProcessPoolAnalyzer  # noqa: E402
from bot.pipeline.poll import Pipeline, store_items  # noqa: E402
from bot.store import Store  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


def cpu_of(pid: int) -> float:
    """User+system CPU seconds of a live process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def peak_rss_mb(pid: int) -> float:
    """Peak resident set (VmHWM) of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Farm:
    """The farm server in its own process."""

    def __init__(self, feeds: int, items: int, delay: float, etag: bool) -> None:
        args = [
            sys.executable,
            str(REPO / "bench" / "farm_server.py"),
            "--feeds",
            str(feeds),
            "--items",
            str(items),
            "--delay",
            str(delay),
            "--hosts",
            str(feeds),
        ]
        if not etag:
            args.append("--no-etag")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        self.port = int(line[1])
        self.feeds = feeds

    def url(self, n: int) -> str:
        return f"http://{host_address(n)}:{self.port}/feed/{n}"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def farm_config(farm: Farm):
    base = load_config(REPO / "feeds.yaml")
    sources = tuple(
        Source(id=f"farm-{n}", name=f"Farm {n}", url=farm.url(n)) for n in range(farm.feeds)
    )
    fetch = dataclasses.replace(
        base.fetch,
        per_host_concurrency=farm.feeds,
        total_concurrency=farm.feeds,
        read_timeout=60,
        total_timeout=120,
    )
    return dataclasses.replace(base, sources=sources, fetch=fetch)


def timed_cycle(
    pipeline: Pipeline, workers: list[int], targets: Targets
) -> tuple[float, float, float | None, object]:
    """One cycle: wall, CPU of bot + workers, CPU of the database server (0 for SQLite)."""
    me = os.getpid()
    cpu0 = cpu_of(me) + sum(cpu_of(p) for p in workers)
    db0 = targets.server_cpu()
    t0 = time.perf_counter()
    report = asyncio.run(_cycle(pipeline))
    wall = time.perf_counter() - t0
    cpu = cpu_of(me) + sum(cpu_of(p) for p in workers) - cpu0
    db1 = targets.server_cpu()
    db_cpu = None if db0 is None or db1 is None else db1 - db0
    return wall, cpu, db_cpu, report


async def _cycle(pipeline: Pipeline):
    pipeline.fetcher = Fetcher(pipeline.config.fetch)
    try:
        return await pipeline.run_cycle()
    finally:
        await pipeline.fetcher.aclose()


def bench_cycles(feeds: int, items: int, delay: float, etag: bool, targets: Targets) -> dict:
    farm = Farm(feeds, items, delay, etag)
    try:
        config = farm_config(farm)
        store = Store(targets.new(f"cycle-{etag}"))
        analyzer = ProcessPoolAnalyzer(config.topics, config.matters)
        analyzer.warm_up()
        workers = list(analyzer._pool._processes)  # noqa: SLF001 - benchmark introspection
        pipeline = Pipeline(config=config, store=store, fetcher=None, analyzer=analyzer)
        full_wall, full_cpu, full_db, full = timed_cycle(pipeline, workers, targets)
        again_wall, again_cpu, again_db, again = timed_cycle(pipeline, workers, targets)
        rss = {"bot": peak_rss_mb(os.getpid()), "workers": [peak_rss_mb(p) for p in workers]}
        analyzer.close()
        store.close()
    finally:
        farm.close()
    assert full.items_new == feeds * items, full
    assert again.items_new == 0 and again.feeds_not_modified == feeds, again
    return {
        "full_wall": full_wall,
        "full_cpu": full_cpu,
        "full_db_cpu": full_db,
        "repoll_wall": again_wall,
        "repoll_cpu": again_cpu,
        "repoll_db_cpu": again_db,
        "rss": rss,
    }


def bench_baseline(feeds: int, items: int, delay: float, sample: int) -> dict:
    """Sequential fetch-then-feedparser over `sample` feeds, scaled to the farm."""
    farm = Farm(feeds, items, delay, etag=True)
    try:
        bodies = []
        t0 = time.perf_counter()
        with httpx.Client(timeout=30) as client:
            for n in range(sample):
                body = client.get(farm.url(n)).content
                feedparser.parse(body)
                bodies.append(body)
        baseline = (time.perf_counter() - t0) * feeds / sample
        c0 = time.process_time()
        for body in bodies:
            feedparser.parse(body)
        parse_cpu = (time.process_time() - c0) * feeds / sample
    finally:
        farm.close()
    return {"baseline_wall": baseline, "parse_cpu": parse_cpu, "parse_bound": parse_cpu / CORES}


def synthetic_batch(source: Source, start: int, count: int):
    base = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    parsed = [
        ParsedItem(
            title=f"{source.id} document {i} on CALEA and robocall rules",
            link=f"https://{source.id}.example.gov/doc/{i}",
            guid=f"{source.id}-{i}",
            text=f"Text of document {i}. PS Docket No. 22-329. Comments due soon. " * 3,
            published=base + dt.timedelta(minutes=i),
        )
        for i in range(start, start + count)
    ]
    return analyze_items(parsed, source=source, topics=())


def bench_store(stored: int, targets: Targets) -> dict:
    """Dedupe+store of 500 × 50 items (1 % new) into a store already holding `stored` items."""
    target = targets.new("million")
    store = Store(target)
    sources = [
        Source(id=f"s{n}", name=f"S{n}", url=f"https://s{n}.example.gov/") for n in range(500)
    ]
    per_source = stored // len(sources)
    now = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    for source in sources:
        batch = synthetic_batch(source, 0, per_source)
        with store.transaction():
            store_items(store, source, batch, now=now)
    fill = time.perf_counter() - t0
    # Each source's next poll: its 49 newest known items plus 1 unseen one (500 × 50 = 25,000).
    batches = [
        (s, synthetic_batch(s, per_source - 49, 49) + synthetic_batch(s, per_source + 1, 1))
        for s in sources
    ]
    db0 = targets.server_cpu()
    t0 = time.perf_counter()
    new = seen = 0
    for source, batch in batches:
        with store.transaction():
            result = store_items(store, source, batch, now=now)
        new, seen = new + result.new, seen + result.seen
    elapsed = time.perf_counter() - t0
    db1 = targets.server_cpu()
    total = store.queries.item_count()
    store.close()
    size = targets.size_mb(target)
    assert (new, seen) == (500, 24_500), (new, seen)
    return {
        "store_batch": elapsed,
        "store_db_cpu": None if db0 is None or db1 is None else db1 - db0,
        "store_items": total,
        "db_mb": size,
        "fill_seconds": fill,
    }


def raise_open_file_limit() -> None:
    """Hundreds of sockets need more than the usual 1024 descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


def main() -> None:
    raise_open_file_limit()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=100,
        help="feeds fetched sequentially for the baseline (scaled to --feeds)",
    )
    parser.add_argument("--quick", action="store_true", help="100k stored items, 25-feed baseline")
    parser.add_argument(
        "--cycles-only", action="store_true", help="only the full cycle and 304 re-poll"
    )
    parser.add_argument(
        "--latency", action="store_true", help="only new item → alert latency (about 2 min)"
    )
    parser.add_argument(
        "--latency-before", action="store_true", help="the same without the due-time re-check"
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="stores on a throw-away PostgreSQL server (tests/pg_server.py) instead of SQLite",
    )
    parser.add_argument(
        "--postgres-url",
        metavar="URL",
        help="stores in fresh databases on this PostgreSQL server (dropped afterwards)",
    )
    args = parser.parse_args()
    if args.latency or args.latency_before:
        from bench.latency import measure_latency

        print(measure_latency(recheck=not args.latency_before))
        return
    pg = None
    if args.postgres or args.postgres_url:
        pg = PgBench.start(args.postgres_url)
    try:
        with tempfile.TemporaryDirectory(prefix="calea-bench-") as folder:
            targets = Targets(Path(folder), pg)
            if args.cycles_only:
                etag = bench_cycles(args.feeds, args.items, args.delay, True, targets)
                print({k: v for k, v in etag.items()})
                return
            run_all(args, targets)
    finally:
        if pg is not None:
            pg.close()


def run_all(args: argparse.Namespace, targets: Targets) -> None:
    """Every measurement but the latency one; prints the table."""
    if args.quick:
        args.stored, args.baseline_sample = 100_000, 25
    database = targets.pg.describe() if targets.pg else "SQLite (WAL, synchronous=NORMAL)"
    print(
        f"farm: {args.feeds} feeds × {args.items} items, {args.delay * 1000:.0f} ms delay, "
        f"{CORES} cores; store: {database}",
        flush=True,
    )
    etag = bench_cycles(args.feeds, args.items, args.delay, True, targets)
    print("cycles (ETag/304):", {k: v for k, v in etag.items() if k != "rss"}, flush=True)
    same = bench_cycles(args.feeds, args.items, args.delay, False, targets)
    print("cycles (identical body):", {k: v for k, v in same.items() if k != "rss"}, flush=True)
    base = bench_baseline(args.feeds, args.items, args.delay, args.baseline_sample)
    print("baseline:", base, flush=True)
    store = bench_store(args.stored, targets)
    print("store:", store, flush=True)

    full = etag["full_wall"]
    rss = etag["rss"]
    rows = [
        ("full cycle, 25,000 new items (wall)", f"{full:.2f} s", "≤ 4 s"),
        ("… CPU, bot + workers", f"{etag['full_cpu']:.2f} s", ""),
        *db_cpu_row(etag["full_db_cpu"], targets),
        (
            "… vs sequential fetch-then-feedparser",
            f"{base['baseline_wall']:.1f} s ({base['baseline_wall'] / full:.0f}× faster)",
            "",
        ),
        (
            "… vs parse bound (feedparser CPU ÷ cores)",
            f"{base['parse_bound']:.2f} s (cycle = {full / base['parse_bound']:.2f}× bound)",
            "",
        ),
        ("unchanged re-poll, 304s (wall)", f"{etag['repoll_wall']:.2f} s", "≤ 1 s"),
        ("… CPU share of full cycle", f"{etag['repoll_cpu'] / etag['full_cpu']:.1%}", "≤ 10 %"),
        ("unchanged re-poll, identical bodies (wall)", f"{same['repoll_wall']:.2f} s", "≤ 1 s"),
        ("… CPU share of full cycle", f"{same['repoll_cpu'] / same['full_cpu']:.1%}", "≤ 10 %"),
        (
            f"store: 25,000-item batch, 1 % new, into {store['store_items'] - 500:,} items",
            f"{store['store_batch']:.2f} s",
            "≤ 1 s",
        ),
        *db_cpu_row(store["store_db_cpu"], targets),
        ("… db size", f"{store['db_mb']:.0f} MB", ""),
        ("peak RSS, bot process", f"{rss['bot']:.0f} MB", "≤ 200 MB"),
        ("peak RSS, each analysis worker", ", ".join(f"{w:.0f} MB" for w in rss["workers"]), ""),
    ]
    print("\n| measure | result | target |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(
        f"\n(Python {sys.version.split()[0]}, {CORES} cores, "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB max RSS of the bench)"
    )


def db_cpu_row(seconds: float | None, targets: Targets) -> list[tuple[str, str, str]]:
    """The database server's CPU as a table row (none for SQLite: it is the bot's own)."""
    if targets.pg is None:
        return []
    shown = "unknown (a server this run did not start)" if seconds is None else f"{seconds:.2f} s"
    return [("… CPU, PostgreSQL server (its backends)", shown, "")]


if __name__ == "__main__":
    main()
