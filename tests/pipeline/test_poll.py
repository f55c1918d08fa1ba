"""The whole pipeline over real HTTP on loopback and a real SQLite file.

Every hostile source ends as a named health state with a message, while the good sources still
deliver in the same cycle.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest

from bot.app.adapters import ensure_console_destination
from bot.config import Config
from bot.feeds.fetch import Fetcher
from bot.models import FetchSettings, Health, Source, Topic
from bot.pipeline.analyzer import InlineAnalyzer, ProcessPoolAnalyzer
from bot.pipeline.deliver import Courier, drain_outbox
from bot.pipeline.poll import Pipeline
from bot.sinks.console import ConsoleSink
from bot.store import Store
from tests.fakes.feed_server import FeedServer, gzip_bomb
from tests.fakes.feeds import numbered_entries, rss

TOPICS = (
    Topic(id="calea", title="CALEA", keywords=("CALEA",), dockets=("PS 22-329",)),
    Topic(id="robocalls", title="Robocalls", keywords=("robocall",)),
)
FAST_LIMITS = FetchSettings(
    connect_timeout=2.0,
    read_timeout=1.0,
    total_timeout=4.0,
    max_bytes=256 * 1024,
    max_redirects=3,
    per_host_concurrency=16,
    total_concurrency=32,
)


def make_config(tmp_path: Path, sources: list[Source], **changes) -> Config:
    config = Config(
        path=tmp_path / "feeds.yaml",
        sources=tuple(sources),
        topics=TOPICS,
        matters=(),
        fetch=FAST_LIMITS,
        first_poll_alerts=50,
    )
    return dataclasses.replace(config, **changes)


def make_pipeline(config: Config, store: Store, *, analyzer=None) -> Pipeline:
    return Pipeline(
        config=config,
        store=store,
        fetcher=Fetcher(config.fetch),
        analyzer=analyzer or InlineAnalyzer(config.topics),
    )


def run_cycle(pipeline: Pipeline):
    async def go():
        try:
            return await pipeline.run_cycle()
        finally:
            await pipeline.fetcher.aclose()

    return asyncio.run(go())


@pytest.fixture
def store(db_target):
    store = Store(db_target)
    yield store
    store.close()


HOSTILE_ROUTES = {
    "/blocked": ({"status": 403, "body": b"Forbidden"}, Health.BLOCKED),
    "/gone": ({"status": 404}, Health.NOT_FOUND),
    "/broken": ({"status": 500}, Health.SERVER_ERROR),
    "/slow": ({"delay": 6.0, "body": b"<rss/>"}, Health.TIMEOUT),
    "/challenge": (
        {
            "body": b"<!DOCTYPE html><html><body>Checking your browser...</body></html>",
            "headers": {"Content-Type": "text/html"},
        },
        Health.NOT_A_FEED,
    ),
    "/malformed": ({"body": b"<rss><channel><item><title>oops</chan"}, Health.PARSE_ERROR),
    "/empty": ({"body": b""}, Health.NOT_A_FEED),
    "/throttled": ({"status": 429, "headers": {"Retry-After": "120"}}, Health.RATE_LIMITED),
    "/huge": ({"body": b"<rss>" + b" " * (1024 * 1024)}, Health.TOO_LARGE),
    "/bomb": (
        {"body": gzip_bomb(4 * 1024 * 1024), "headers": {"Content-Encoding": "gzip"}},
        Health.TOO_LARGE,
    ),
    "/loop": ({"redirect_to": "/loop"}, Health.TOO_MANY_REDIRECTS),
    "/laughs": (
        {
            "body": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">'
            b']><rss version="2.0"><channel><title>&c;</title></channel></rss>'
        },
        None,  # parse_error or not_a_feed: either way a named failure, quickly
    ),
}


def test_hostile_sources_fail_with_named_states_while_good_ones_deliver(tmp_path, store):
    with FeedServer() as server:
        server.route("/good", body=rss(numbered_entries("good", 5)))
        for path, (route, _) in HOSTILE_ROUTES.items():
            server.route(path, **route)
        sources = [Source(id="good", name="Good", url=server.url("/good"))] + [
            Source(id=path.strip("/"), name=path, url=server.url(path)) for path in HOSTILE_ROUTES
        ]
        config = make_config(tmp_path, sources)
        report = run_cycle(make_pipeline(config, store))
        states = store.sources.all()

    assert report.feeds_ok == 1 and report.items_new == 5
    assert report.feeds_failed == len(HOSTILE_ROUTES)
    for path, (_, expected) in HOSTILE_ROUTES.items():
        state = states[path.strip("/")]
        if expected is None:
            assert state.health in (Health.PARSE_ERROR, Health.NOT_A_FEED)
        else:
            assert state.health is expected, (path, state.health, state.message)
        assert state.message and state.consecutive_failures == 1
        assert state.next_poll_at > state.last_polled_at
    throttled = states["throttled"]
    assert (throttled.next_poll_at - throttled.last_polled_at).total_seconds() >= 120


def test_unchanged_sources_are_not_parsed_again(tmp_path, store):
    entries = rss(numbered_entries("a", 3))
    with FeedServer() as server:
        server.route("/etag", body=entries, etag='"v1"')
        server.route("/plain", body=rss(numbered_entries("b", 3)))
        config = make_config(
            tmp_path,
            [
                Source(id="etag", name="E", url=server.url("/etag")),
                Source(id="plain", name="P", url=server.url("/plain")),
            ],
        )
        first = run_cycle(make_pipeline(config, store))
        second = run_cycle(make_pipeline(config, store))
        conditional = server.requests_to("/etag")[-1].headers.get("if-none-match")

    assert (first.feeds_ok, first.items_new) == (2, 6)
    assert (second.feeds_not_modified, second.items_new, second.items_seen) == (2, 0, 0)
    assert conditional == '"v1"'
    states = store.sources.all()
    assert states["plain"].message == "unchanged (identical body)"
    assert states["etag"].not_modified_share == 0.5


def test_alerts_reach_the_console_once_with_topics_and_dockets(tmp_path, store):
    with FeedServer() as server:
        server.route("/feed", body=rss(numbered_entries("feed", 2)))
        config = make_config(
            tmp_path, [Source(id="feed", name="FCC test", url=server.url("/feed"))]
        )
        ensure_console_destination(store, dt.datetime.now(dt.UTC))
        run_cycle(make_pipeline(config, store))
        out = io.StringIO()
        now = dt.datetime.now(dt.UTC)
        sinks = {"console": Courier(ConsoleSink(out))}
        first = drain_outbox(store, sinks, now=now, source_names={"feed": "FCC test"})
        again = drain_outbox(store, sinks, now=now)

    text = out.getvalue()
    assert (first.sent, again.sent) == (2, 0)
    assert text.count("[NEW] FCC test") == 2
    assert "calea (docket PS 22-329)" in text or "calea (keyword" in text
    assert "PS 22-329" in text


def test_ten_thousand_items_in_one_feed(tmp_path, store):
    with FeedServer() as server:
        server.route("/big", body=rss(numbered_entries("big", 10_000)))
        config = make_config(
            tmp_path,
            [Source(id="big", name="Big", url=server.url("/big"))],
            fetch=dataclasses.replace(
                FAST_LIMITS, max_bytes=20 * 1024 * 1024, read_timeout=10, total_timeout=30
            ),
            first_poll_alerts=3,
        )
        report = run_cycle(make_pipeline(config, store))
    assert (report.feeds_ok, report.items_new, report.alerts_queued) == (1, 10_000, 0)
    assert store.queries.item_count() == 10_000


def test_process_pool_analyzer_gives_the_same_result(tmp_path, store):
    with FeedServer() as server:
        server.route("/feed", body=rss(numbered_entries("pool", 20)))
        config = make_config(tmp_path, [Source(id="pool", name="Pool", url=server.url("/feed"))])
        analyzer = ProcessPoolAnalyzer(config.topics, workers=1)
        try:
            report = run_cycle(make_pipeline(config, store, analyzer=analyzer))
        finally:
            analyzer.close()
    assert (report.feeds_ok, report.items_new) == (1, 20)
    assert store.queries.search("pool notice 7")[0].topics == ("calea",)


def test_a_feed_the_process_pool_cannot_parse_is_a_named_failure_not_a_crash(tmp_path, store):
    # FeedParseError is raised in a worker process and must cross back whole (pickle);
    # it once broke the pool instead ("poll of … crashed", BrokenProcessPool).
    with FeedServer() as server:
        server.route("/empty", body=rss([]))
        server.route("/fine", body=rss(numbered_entries("fine", 2)))
        sources = [
            Source(id="empty", name="Empty", url=server.url("/empty")),
            Source(id="fine", name="Fine", url=server.url("/fine")),
        ]
        config = make_config(tmp_path, sources)
        analyzer = ProcessPoolAnalyzer(config.topics, workers=1)
        try:
            report = run_cycle(make_pipeline(config, store, analyzer=analyzer))
        finally:
            analyzer.close()
    assert report.feeds_ok == 1 and report.items_new == 2
    assert store.sources.get("empty").health == Health.NOT_A_FEED


def test_a_failed_response_never_becomes_not_modified(tmp_path, store):
    challenge = b"<!DOCTYPE html><html><body>Just a moment...</body></html>"
    with FeedServer() as server:
        server.route(
            "/headlines", body=challenge, etag='"challenge"', headers={"Content-Type": "text/html"}
        )
        config = make_config(tmp_path, [Source(id="h", name="H", url=server.url("/headlines"))])
        run_cycle(make_pipeline(config, store))
        run_cycle(make_pipeline(config, store))
        sent = server.requests_to("/headlines")[-1].headers.get("if-none-match")
    state = store.sources.get("h")
    assert sent is None
    assert (state.health, state.consecutive_failures) == (Health.NOT_A_FEED, 2)
    assert state.last_success_at is None
