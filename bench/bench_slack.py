"""Slack benchmark: /calea over the bot's real HTTP endpoint, and an alert burst to 20 channels.

    .venv/bin/python bench/bench_slack.py             # the full run (about 5 minutes)
    .venv/bin/python bench/bench_slack.py --quick     # 100k stored items, 50 requests each
    .venv/bin/python bench/bench_slack.py --db PATH   # build the store at PATH once, reuse it
    .venv/bin/python bench/bench_slack.py --quick --postgres  # the same on PostgreSQL
    .venv/bin/python bench/bench_slack.py --postgres-url postgresql://…  # an existing server
    .venv/bin/python bench/bench_slack.py --db postgresql://…/db  # build once there, reuse it

Measures, on this machine:
  1. with 1,000,000 varied items stored (about 20 realistic title templates, dockets, dates
     spread over two years), the latency of `/calea status` and `/calea search …` (a very
     common word, mid-frequency words, a rare docket, a word that never occurs): a signed
     request to POST /slack/events of the bot (SlackIntegration in HTTP mode served by
     bot.app.web.WebServer on 127.0.0.1, in its own process), timed to the HTTP response (Bolt's
     ack) and to the reply reaching the fake Slack's response_url (what the user waits for);
  2. a burst of 500 new items alerted to 20 channels subscribed to every topic, drained by
     `bot.pipeline.deliver.drain_outbox` with the real SlackSink against the fake Slack Web API (one
     message per second per channel, 429 + Retry-After beyond that), on the real clock:
     alerts queued vs sent, messages and 429s seen by the fake, wall time.
The store is a SQLite file by default. `--postgres` builds it in a fresh database on a
throw-away PostgreSQL server (tests/pg_server.py), `--postgres-url` in a fresh database on an
existing server (dropped afterwards); the bot process then runs on that database as
`DATABASE_URL` would make it (search through the tsvector/GIN index instead of FTS5); the
build ends with ANALYZE there, as autovacuum would in time (`--no-analyze` to skip it).
Results print as a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from slack_sdk import WebClient

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.pg import PgBench, database_size_mb  # noqa: E402
from bot.alerts.policy import AlertLimits  # noqa: E402
from bot.config import Config, load_config  # noqa: E402
from bot.models import AnalyzedItem, FetchResult, Health, ParsedItem, Source  # noqa: E402
from bot.pipeline.analyze import analyze_items  # noqa: E402
from bot.pipeline.deliver import Courier, drain_outbox  # noqa: E402
from bot.pipeline.poll import store_items  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.sinks.slack import SlackSink  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.postgres import is_postgres_url  # noqa: E402
from bot.store.queries import fts_query, search_words  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi, signed_headers, slash_command_body  # noqa: E402

CORES = os.cpu_count() or 1
FEEDS = REPO / "feeds.yaml"
SECRET = "bench-signing-secret"
USER = "U0ALICE"
COMMAND_CHANNEL = "C0ALERTS"
SPAN = dt.timedelta(days=730)
CHUNK = 5_000  # items per ingest transaction (one source's poll)
LATE_SHARE = 0.1  # items published well before the poll that first saw them
LATE_BY = dt.timedelta(days=30)
BURST_ITEMS = 500
BURST_NUMBERS = 10**9  # the burst's items are numbered from here (new GUIDs and links)

# -- a varied corpus --------------------------------------------------------------------------

# (weight, title, text): the weights set how often search words hit (see the table's notes).
TEMPLATES: list[tuple[int, str, str]] = [
    (300, "Public Notice: Wireline Competition Bureau announces filing window {n}",
     "The Bureau announces a filing window for {carrier} and other carriers. Comments due "
     "{due}. WC Docket No. 10-90."),
    (250, "Sunshine agenda for the Open Commission Meeting, item {n}",
     "The Commission will consider items on spectrum, broadband deployment and consumer "
     "protection in {state}."),
    (200, "Auction of flexible-use spectrum licenses, {mhz} MHz band (AU Docket No. {docket})",
     "Applications due {due}. The auction offers licenses in {state}. DA {da}."),
    (200, "CISA adds {k} Known Exploited Vulnerabilities to catalog",
     "CVE-2025-{cve} affecting network equipment is being actively exploited. Agencies must "
     "patch. Advisory {n}."),
    (180, "Enforcement Bureau proposes ${k} million fine for illegal robocalls (EB-TCD-{n})",
     "The Notice of Apparent Liability finds the provider transmitted robocalls spoofing caller "
     "ID numbers in {state}. EB Docket No. {docket}."),
    (150, "Robocall Mitigation Database: {k} providers removed, Order DA {da}",
     "Providers with deficient certifications are removed from the Robocall Mitigation "
     "Database; STIR/SHAKEN implementation is required. WC Docket No. 24-213."),
    (150, "Universal Service contribution factor for quarter {q}, notice {n}",
     "The proposed contribution factor for the Universal Service Fund is announced. Broadband "
     "programs in {state}. CC Docket No. 96-45."),
    (120, "Network outage report: {carrier} 911 outage affects PSAPs in {state} ({n})",
     "The outage was reported through NORS. 911 calls failed for several hours."),
    (100, "Broadband Data Collection: filing window opens for {carrier}, notice {n}",
     "Facilities-based providers must file broadband availability data. BEAD allocations for "
     "{state} follow. WC Docket No. 19-195."),
    (100, "Salt Typhoon intrusions: {carrier} briefs lawmakers on network security ({n})",
     "Threat actors linked to a foreign adversary accessed carrier networks. Experts urge "
     "action."),
    (80, "Covered List updated: equipment from {vendor} added ({n})",
     "The Public Safety and Homeland Security Bureau updates the Covered List under the Secure "
     "Networks Act."),
    (80, "CPNI breach reporting: {carrier} notifies customers ({n})",
     "Customer proprietary network information was exposed; the data breach notification rules "
     "apply. WC Docket No. 22-21."),
    (60, "Submarine cable landing license application: {cable} cable system (SCL-LIC-{n})",
     "The applicants seek a license to land and operate a submarine cable connecting the United "
     "States and {state}."),
    (50, "Industry groups file ex parte on CALEA compliance obligations ({n})",
     "CTIA, NCTA and USTelecom met with staff on CALEA and lawful intercept capability "
     "requirements for {carrier}."),
    (40, "Hurricane response: Disaster Information Reporting System activated for {state} ({n})",
     "DIRS is activated for counties in {state}. Providers should report outages."),
    (40, "Cyber Trust Mark: Cybersecurity Label Administrator update {n}",
     "The IoT labeling program moves forward with new testing requirements."),
    (30, "Undersea cable security: cyber risk management certifications ({n})",
     "Licensees must certify cyber risk management plans for undersea cables."),
    (20, "Test labs tied to foreign adversaries: {vendor} lab recognition withdrawn ({n})",
     "The bad labs order applies to telecommunication certification bodies."),
    (4, "Comment dates set in PS Docket No. 23-239 and ET Docket No. 24-136 ({n})",
     "Comments due {due} on the Cyber Trust Mark and on test lab recognition."),
    (6, "Comment sought on CALEA network security petition, PS Docket No. 22-329 ({n})",
     "Comments due {due}. Parties ask the Commission to reconsider the CALEA declaratory "
     "ruling on network security."),
    (2, "Order on Reconsideration: CALEA declaratory ruling rescinded, ex parte {n}",
     "In PS Docket No. 22-329 the Commission rescinded the ruling. Carriers remain subject to "
     "CALEA section 105."),
    (1, "Hikvision and Dahua equipment authorizations: update {n}",
     "Equipment from Hikvision and Dahua stays on the Covered List."),
]  # fmt: skip
WEIGHTS = [weight for weight, _, _ in TEMPLATES]
CARRIERS = ["AT&T", "Verizon", "T-Mobile", "Lumen", "Frontier", "Windstream", "Charter", "Comcast"]
STATES = ["Texas", "Ohio", "Florida", "Oregon", "Maine", "Iowa", "Georgia", "Utah", "Alaska"]
VENDORS = ["Huawei", "ZTE", "Hytera", "China Mobile", "Pacific Networks"]
CABLES = ["Pacific Light", "Bifrost", "Echo", "Apricot", "Amitie", "Firmina"]

#: /calea commands measured: (label, command text). Hit counts are printed with the results.
COMMANDS = [
    ("status", "status"),
    ("search docket (very common)", "search docket"),
    ("search robocall", "search robocall"),
    ("search CALEA", "search CALEA"),
    ("search submarine cable", "search submarine cable"),
    ("search 22-329 (rare)", "search 22-329"),
    ("search Hikvision (rare)", "search Hikvision"),
    ("search zyzzyva (no hit)", "search zyzzyva"),
]


def regulatory_item(n: int, rng: random.Random, end: dt.datetime, span: dt.timedelta) -> ParsedItem:
    """Item number `n`: a random template filled in, published within `span` before `end`.

    One item in ten is a late arrival, published up to LATE_BY earlier still.
    """
    _, title, text = rng.choices(TEMPLATES, weights=WEIGHTS)[0]
    if rng.random() < LATE_SHARE:
        span = span + LATE_BY
    published = (end - span * rng.random()).replace(microsecond=0)
    values = {
        "n": n,
        "da": f"{published:%y}-{n % 9000 + 100}",
        "carrier": rng.choice(CARRIERS),
        "state": rng.choice(STATES),
        "due": (published + dt.timedelta(days=30)).strftime("%B %d, %Y"),
        "mhz": rng.choice([600, 700, 2500, 3450, 3700, 4900]),
        "docket": f"{rng.randint(20, 25)}-{rng.randint(100, 400)}",
        "k": rng.randint(2, 40),
        "cve": rng.randint(1000, 99999),
        "q": rng.randint(1, 4),
        "vendor": rng.choice(VENDORS),
        "cable": rng.choice(CABLES),
    }
    return ParsedItem(
        title=title.format(**values),
        link=f"https://www.example.gov/document/{n}",
        guid=f"doc-{n}",
        text=f"{text.format(**values)} Reference {n}.",
        published=published,
    )


_WORKER: dict = {}


def _init_worker(end: dt.datetime, chunks: int) -> None:
    config = load_config(FEEDS)
    _WORKER.update(config=config, end=end, chunks=chunks)


def _analysed_chunk(task: tuple[int, int, str]) -> tuple[str, tuple[AnalyzedItem, ...]]:
    """Pool task: generate and analyse one chunk (a source's poll) with the real topics.

    Chunks are in time order, as a store fills over two years: chunk c holds items published
    in the c-th slice of SPAN (plus late arrivals), so ids follow dates roughly.
    """
    chunk, count, source_id = task
    config: Config = _WORKER["config"]
    rng = random.Random(chunk)
    chunks = _WORKER["chunks"]
    newest = _WORKER["end"] - SPAN * (chunks - 1 - chunk) / chunks
    parsed = [regulatory_item(chunk * CHUNK + i, rng, newest, SPAN / chunks) for i in range(count)]
    source = config.source(source_id)
    return source_id, analyze_items(
        parsed, source=source, topics=config.topics, matters=config.matters
    )


def _enabled_sources(config: Config) -> list[Source]:
    return [s for s in config.sources if s.enabled]


def store_target(value: str) -> Path | str:
    """--db: a SQLite file, or a PostgreSQL URL kept as it is."""
    return value if is_postgres_url(value) else Path(value)


def build_store(
    path: Path | str, stored: int, config: Config, channels: list[str], analyze: bool = True
) -> dict:
    """Fill a store with `stored` items: analysed on every core, ingested per source.

    The burst channels are subscribed first, so the fill leaves a realistic outbox history
    (each poll's newest 20 alerts per channel), marked sent at the end.
    """
    store = Store(path)
    now = dt.datetime.now(dt.UTC)
    subscribe_channels(store, channels, now)
    sources = _enabled_sources(config)
    chunks = [
        (c, min(CHUNK, stored - c * CHUNK), sources[c % len(sources)].id)
        for c in range(-(-stored // CHUNK))
    ]
    t0 = time.perf_counter()
    per_source: Counter[str] = Counter()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(
        CORES, initializer=_init_worker, initargs=(now - dt.timedelta(hours=1), len(chunks))
    ) as pool:
        for done, (source_id, batch) in enumerate(pool.imap(_analysed_chunk, chunks), 1):
            with store.transaction():
                result = store_items(store, config.source(source_id), batch, now=now)
            per_source[source_id] += result.new
            if done % 40 == 0:
                print(f"  … {done * CHUNK:,} items, {time.perf_counter() - t0:.0f} s", flush=True)
    with store.transaction():
        for source in sources:
            result = FetchResult(source.id, source.url, Health.OK, "fetched", 200)
            store.sources.record(
                result,
                health=Health.OK,
                message="fetched and parsed",
                now=now,
                next_poll_at=now + dt.timedelta(seconds=source.interval_seconds),
                new_items=per_source[source.id],
            )
        store.db.execute("UPDATE outbox SET state = 'sent', sent_at = ?", [now.isoformat()])
    if store.dialect == "postgres" and analyze:
        # A store that has run a while has planner statistics (autovacuum); a freshly built one
        # may not yet, and without them a rare word's search walks every item (see README).
        store.db.execute("ANALYZE")
    fill = time.perf_counter() - t0
    store.close()
    return {"fill_seconds": fill}


def subscribe_channels(store: Store, channels: list[str], now: dt.datetime) -> None:
    """The command channel follows calea and robocalls; each burst channel follows everything."""
    command = store.subscriptions.ensure_destination(
        "slack", COMMAND_CHANNEL, "reg-alerts", now=now
    )
    store.subscriptions.subscribe(command.id, ["calea", "robocalls"], now=now)
    for channel in channels:
        destination = store.subscriptions.ensure_destination(
            "slack", channel, f"burst-{channel[-2:]}", now=now
        )
        store.subscriptions.subscribe(destination.id, ["*"], now=now)


def db_size_mb(path: Path | str) -> float:
    """The database file plus its WAL, in MB (PostgreSQL: pg_database_size)."""
    if is_postgres_url(path):
        return database_size_mb(str(path))
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6


def ensure_store(
    path: Path | str, stored: int, config: Config, channels: list[str], analyze: bool = True
) -> dict:
    """Build the store unless `path` already holds one with `stored` items (from --db)."""
    if is_postgres_url(path) or path.exists():
        store = Store(path)
        count = store.queries.item_count()
        sent = store.outbox.counts()
        store.close()
        if count == 0 and not sent and is_postgres_url(path):
            print(f"building {stored:,} items in an empty PostgreSQL database …", flush=True)
            return build_store(path, stored, config, channels, analyze)
        if count == stored and set(sent) == {"sent"}:
            print(f"reusing {path} ({count:,} items)", flush=True)
            return {"fill_seconds": None}
        raise SystemExit(
            f"{path} holds {count:,} items and outbox {sent}; remove it or pass another --db."
        )
    print(f"building {stored:,} items in {path} on {CORES} cores …", flush=True)
    return build_store(path, stored, config, channels, analyze)


# -- the bot in its own process ---------------------------------------------------------------


def serve_bot(db: Path | str, api_url: str) -> None:
    """Child process: Slack in HTTP mode as `calea-bot run` wires it, minus feed polling."""
    import asyncio

    from bot.app.build import Paths
    from bot.app.run import connect_platforms, digest_schedule
    from bot.app.web import WebServer, build_web_app

    env = {
        "SLACK_BOT_TOKEN": FakeSlackApi().token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
    }
    config = load_config(FEEDS)
    settings = load_settings(env)
    paths = Paths(FEEDS, db, settings=settings)
    platforms = connect_platforms(config, paths, digest_schedule(settings))

    async def main() -> None:
        web = WebServer(build_web_app(platforms.routes()), host="127.0.0.1", port=0)
        await web.start()
        print(f"READY {web.port}", flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await web.stop()

    asyncio.run(main())
    platforms.stop()


class BotProcess:
    """`bench_slack.py --serve-bot` in a subprocess, so the bot does not share the client's GIL."""

    def __init__(self, db: Path | str, api_url: str) -> None:
        args = [sys.executable, __file__, "--serve-bot", "--db", str(db), "--api-url", api_url]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "READY":
            self.proc.kill()
            raise SystemExit("the bot process did not start")
        self.url = f"http://127.0.0.1:{line[1]}/slack/events"

    def close(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


class TimedSlackApi(FakeSlackApi):
    """The fake Slack Web API, noting when each response_url post arrives."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.reply_times: list[float] = []

    def record_response(self, body: dict) -> None:
        """Keep the body and its arrival time (perf_counter)."""
        with self.changed:
            self.reply_times.append(time.perf_counter())
        super().record_response(body)


# -- 1. command latency -----------------------------------------------------------------------


def time_command(
    client: httpx.Client, slack: TimedSlackApi, url: str, text: str, runs: int, warm_up: int
) -> dict:
    """Send `/calea text` sequentially; times to the HTTP response and to the reply."""
    acked, replied, failures = [], [], 0
    reply: dict = {}
    for run in range(warm_up + runs):
        seen = len(slack.responses)
        body = slash_command_body(text, response_url=slack.response_url(f"r{run}"), user_id=USER)
        headers = signed_headers(SECRET, body, content_type="application/x-www-form-urlencoded")
        t0 = time.perf_counter()
        response = client.post(url, content=body, headers=headers)
        t1 = time.perf_counter()
        arrived = slack.wait_for(lambda seen=seen: len(slack.responses) > seen, timeout=30)
        if response.status_code != 200 or not arrived:
            failures += 1
            continue
        reply = slack.responses[seen]  # the reply to this request (requests are sequential)
        if reply.get("text", "").startswith("Sorry"):  # run_command's internal-error reply
            failures += 1
        if run >= warm_up:
            acked.append(t1 - t0)
            replied.append(slack.reply_times[seen] - t0)
    return {"acked": acked, "replied": replied, "failures": failures, "text": reply.get("text")}


def first_line(text: str | None) -> str:
    """The first line of a reply, cut to 60 characters (progress output)."""
    return (text or "").partition("\n")[0][:60]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def store_counts(path: Path | str) -> dict[str, int]:
    """How many stored items each measured search matches; also "matter events", the rows of
    tracked-matter timelines (`status` reads its matter's). PostgreSQL stems English words
    (plainto_tsquery), SQLite's FTS5 does not, so the counts may differ between the two."""
    store = Store(path)
    counts = {}
    for label, text in COMMANDS:
        if not text.startswith("search "):
            continue
        words = text.removeprefix("search ")
        if store.dialect == "postgres":
            counts[label] = store.db.execute(
                "SELECT count(*) FROM items WHERE search @@ plainto_tsquery('english', ?)",
                [" ".join(search_words(words))],
            ).fetchone()[0]
        else:
            counts[label] = store.db.execute(
                "SELECT count(*) FROM items_fts WHERE items_fts MATCH ?", [fts_query(words)]
            ).fetchone()[0]
    counts["matter events"] = store.db.execute("SELECT count(*) FROM matter_events").fetchone()[0]
    store.close()
    return counts


def bench_commands(path: Path | str, slack: TimedSlackApi, runs: int, warm_up: int) -> dict:
    """Latency of each command in COMMANDS against the bot process."""
    bot = BotProcess(path, slack.base_url)
    results = {}
    try:
        with httpx.Client(timeout=30) as client:
            for label, text in COMMANDS:
                results[label] = time_command(client, slack, bot.url, text, runs, warm_up)
                ms = [1000 * v for v in results[label]["replied"]]
                print(
                    f"  {label}: reply p50 {statistics.median(ms):.1f} ms, "
                    f"p99 {percentile(ms, 99):.1f} ms — “{first_line(results[label]['text'])}”",
                    flush=True,
                )
    finally:
        bot.close()
    return results


# -- 2. alert burst ---------------------------------------------------------------------------


def queue_burst(path: Path | str, config: Config, items: int, stored: int) -> int:
    """Ingest `items` new items as polls of 20 (the storm guard's default); return rows queued."""
    store = Store(path)
    now = dt.datetime.now(dt.UTC)
    rng = random.Random(-1)
    sources = _enabled_sources(config)
    per_poll = AlertLimits().max_alerts_per_poll
    queued = 0
    for poll, start in enumerate(range(0, items, per_poll)):
        parsed = [
            regulatory_item(stored + n, rng, now, dt.timedelta(minutes=5))
            for n in range(start, min(items, start + per_poll))
        ]
        source = sources[poll % len(sources)]
        batch = analyze_items(parsed, source=source, topics=config.topics, matters=config.matters)
        with store.transaction():
            result = store_items(store, source, batch, now=now)
        assert result.new == len(parsed), result
        queued += result.alerts_queued
    store.close()
    return queued


def next_due(store: Store) -> dt.datetime | None:
    """When the earliest pending alert may be tried again (None: nothing pending)."""
    row = store.db.execute(
        "SELECT min(next_attempt_at) FROM outbox WHERE state IN ('pending', 'sending')"
    ).fetchone()
    return dt.datetime.fromisoformat(row[0]) if row[0] else None


def bench_burst(path: Path | str, config: Config, slack: FakeSlackApi, channels: list[str]) -> dict:
    """Queue the burst, then drain it for real; count what the fake Slack received."""
    store = Store(path)
    before = store.outbox.counts().get("sent", 0)
    store.close()
    queued = queue_burst(path, config, BURST_ITEMS, BURST_NUMBERS)
    posts_before = len(slack.calls("chat.postMessage"))
    sink_client = WebClient(token=slack.token, base_url=slack.base_url, timeout=15)
    sinks = {"slack": Courier(SlackSink(sink_client))}
    names = {s.id: s.name for s in config.sources}
    store = Store(path)
    drains = 0
    t0 = time.perf_counter()
    while (due := next_due(store)) is not None:
        wait = (due - dt.datetime.now(dt.UTC)).total_seconds()
        if wait > 0:
            time.sleep(wait)
        drain_outbox(store, sinks, now=dt.datetime.now(dt.UTC), source_names=names)
        drains += 1
    wall = time.perf_counter() - t0
    counts = store.outbox.counts()
    store.close()
    calls = slack.calls("chat.postMessage")[posts_before:]
    delivered = [c for c in calls if c.status == 200 and c.error is None]
    carried: Counter[str] = Counter()
    per_channel: Counter[str] = Counter()
    for call in delivered:
        channel = call.params["channel"]
        per_channel[channel] += 1
        payload = call.params["metadata"]
        payload = (json.loads(payload) if isinstance(payload, str) else payload)["event_payload"]
        ids = payload.get("outbox_ids") or str(payload.get("outbox_id"))
        carried[channel] += len(ids.split(","))
    return {
        "queued": queued,
        "sent": counts.get("sent", 0) - before,
        "other_states": {k: v for k, v in counts.items() if k != "sent"},
        "received": sum(carried.values()),
        "messages": len(delivered),
        "per_channel": sorted(per_channel[c] for c in channels),
        "command_channel": carried[COMMAND_CHANNEL],
        "alerts_per_channel": sorted(carried[c] for c in channels),
        "rate_limited": sum(1 for c in calls if c.status == 429),
        "errors": sum(1 for c in calls if c.status != 429 and c.error),
        "drains": drains,
        "wall": wall,
    }


# -- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200, help="timed requests per command")
    parser.add_argument("--warm-up", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="100k items, 50 requests each")
    parser.add_argument(
        "--db",
        type=store_target,
        help="keep the store here, a SQLite file or a postgresql:// URL (reused if it holds one)",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="build the store on a throw-away PostgreSQL server (tests/pg_server.py)",
    )
    parser.add_argument(
        "--postgres-url",
        metavar="URL",
        help="build the store in a fresh database on this PostgreSQL server (dropped afterwards)",
    )
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="PostgreSQL: skip ANALYZE after the build (the planner then has no statistics)",
    )
    parser.add_argument("--serve-bot", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bot:
        serve_bot(args.db, args.api_url)
        return
    if args.quick:
        args.stored, args.runs = 100_000, 50
    config = load_config(FEEDS)
    channels = [f"C0BURST{n:02d}" for n in range(1, 21)]
    started = time.perf_counter()
    pg = None
    if args.postgres or args.postgres_url:
        pg = PgBench.start(args.postgres_url)
        print(pg.describe(), flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="calea-slack-bench-") as folder:
            path = args.db or (pg.new_database() if pg else Path(folder) / "slack.db")
            run(args, path, config, channels, started)
    finally:
        if pg is not None:
            pg.close()


def run(args, path: Path | str, config: Config, channels: list[str], started: float) -> None:
    """Build (or reuse) the store, time the commands, drain the burst, print the table."""
    built = ensure_store(path, args.stored, config, channels, analyze=not args.no_analyze)
    size = db_size_mb(path)
    hits = store_counts(path)
    print(f"store: {args.stored:,} items, {size:.0f} MB, hits {hits}", flush=True)
    with TimedSlackApi(min_post_interval=1.0) as slack:
        slack.add_user(USER)
        latency = bench_commands(path, slack, args.runs, args.warm_up)
        burst = bench_burst(path, config, slack, channels)
    print(f"burst: {burst}", flush=True)
    if args.db is not None:
        reset_burst(path, args.stored)
    print_table(args, built, size, hits, latency, burst, time.perf_counter() - started)


def reset_burst(path: Path | str, stored: int) -> None:
    """Put a kept store back as built: drop the burst's items, events and outbox rows."""
    store = Store(path)
    with store.transaction():
        first = store.db.execute("SELECT min(id) FROM items WHERE id > ?", [stored]).fetchone()[0]
        if first is not None:
            for table, column in (("outbox", "event_id"), ("events", "id"), ("items", "id")):
                store.db.execute(f"DELETE FROM {table} WHERE {column} >= ?", [first])
            store.db.execute("DELETE FROM item_keys WHERE item_id >= ?", [first])
            store.db.execute("DELETE FROM event_keys WHERE event_id >= ?", [first])
            store.db.execute("DELETE FROM matter_events WHERE item_id >= ?", [first])
            store.db.execute("DELETE FROM threads")
    store.close()


def print_table(args, built, size, hits, latency, burst, total) -> None:
    """The results as a Markdown table."""
    runs = args.runs
    rows = []
    if built["fill_seconds"] is not None:
        rows.append(
            ("store build (generate, analyse, ingest)", f"{built['fill_seconds']:.0f} s", "")
        )
    rows.append((f"db size, {args.stored:,} items", f"{size:.0f} MB", ""))
    rows.append(
        (
            "… tracked-matter timeline events, all matters",
            f"{hits['matter events']:,}",
            "",
        )
    )
    for label, _ in COMMANDS:
        result = latency[label]
        acked = [1000 * v for v in result["acked"]]
        replied = [1000 * v for v in result["replied"]]
        hit = ""
        if label in hits:
            hit = f", {hits[label]:,} hits ({hits[label] / args.stored:.2%})"
        fails = f", {result['failures']} failed" if result["failures"] else ""
        rows.append(
            (
                f"`/calea {dict(COMMANDS)[label]}`{hit}: reply p50 / p95 / p99 "
                f"({runs} runs{fails})",
                f"{statistics.median(replied):.1f} / {percentile(replied, 95):.1f} / "
                f"{percentile(replied, 99):.1f} ms",
                "p99 ≤ 100 ms",
            )
        )
        rows.append(
            (
                "… HTTP ack p50 / p99",
                f"{statistics.median(acked):.1f} / {percentile(acked, 99):.1f} ms",
                "≤ 3 s",
            )
        )
    b = burst
    lost = b["queued"] - b["sent"]
    rows += [
        (
            f"burst: {BURST_ITEMS} new items → 20 channels on `*` (+ {b['command_channel']} "
            "calea/robocall alerts to the command channel): alerts sent / queued",
            f"{b['sent']:,} / {b['queued']:,} ({lost} lost)",
            "all, none lost",
        ),
        (
            "… alerts the fake Slack received (grouped messages counted by alert)",
            f"{b['received']:,}",
            f"{b['queued']:,}",
        ),
        (
            "… messages per channel (min–max)",
            f"{min(b['per_channel'])}–{max(b['per_channel'])} ({b['messages']} in all)",
            "",
        ),
        ("… 429s seen", str(b["rate_limited"]), ""),
        ("… alerts per message (mean)", f"{b['received'] / max(1, b['messages']):.1f}", ""),
        ("… wall time to drain", f"{b['wall']:.1f} s", ""),
    ]
    print("\n| measure | result | target |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n(Python {sys.version.split()[0]}, {CORES} cores, whole run {total:.0f} s)")


if __name__ == "__main__":
    main()
