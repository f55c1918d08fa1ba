"""ECFS docket filings: parsed from the documented shape, polled per docket against a loopback
fake of the API, routed only to channels watching the docket or its matter."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
from pathlib import Path

import pytest

from bot.config import Config
from bot.errors import ConfigError, FeedParseError
from bot.feeds.ecfs import ecfs_source, parse_filings
from bot.feeds.fetch import Fetcher
from bot.models import Health, Matter, Watch
from bot.pipeline.analyzer import InlineAnalyzer
from bot.pipeline.ecfs_sources import ecfs_sources
from bot.pipeline.poll import Pipeline
from bot.reports.status import build_status
from bot.settings import EcfsSettings, load_settings
from bot.store import Store
from tests.db_dump import dump_rows
from tests.fakes.ecfs_api import FakeEcfs, filing
from tests.fakes.feed_server import FeedServer
from tests.pipeline.test_poll import FAST_LIMITS, TOPICS

NOW = dt.datetime(2025, 12, 1, 15, 0, tzinfo=dt.UTC)
CALEA = Matter("calea-network-security", "CALEA network security", dockets=("PS 22-329",))
KEY = "abcDEF0123456789abcDEF0123456789abcDEF01"


def body(*filings: dict) -> bytes:
    return json.dumps({"filing": list(filings)}).encode()


class TestParse:
    def test_filings_are_items_of_their_own_kind(self):
        feed = parse_filings(
            body(
                filing("1111", "22-329", filer="USTelecom", kind="NOTICE OF EXPARTE"),
                filing("2222", "22-329", filer="<!channel> Corp", kind="REPLY TO COMMENTS"),
                {"id_submission": "../etc", "filers": []},  # unusable: skipped
            ),
            docket="PS 22-329",
        )
        ex_parte, reply = feed.items
        assert ex_parte.title == "Ex parte by USTelecom in PS 22-329"
        assert "ex parte" in ex_parte.categories and ex_parte.doc_type == "ECFS filing"
        assert ex_parte.link == "https://www.fcc.gov/ecfs/document/11111/1"
        assert ex_parte.guid == "ecfs:1111" and ex_parte.dockets == ("PS 22-329",)
        assert ex_parte.text.startswith("NOTICE OF EXPARTE filed by USTelecom in PS 22-329;")
        assert reply.title == "Reply to comments by Corp in PS 22-329"  # markup dropped
        assert reply.authors == ("<!channel> Corp",)  # hostile text stays data (sinks escape)

    def test_a_filings_key_and_an_empty_docket_are_fine(self):
        assert parse_filings(b'{"filings": []}', docket="PS 22-329").items == ()

    @pytest.mark.parametrize(
        ("raw", "health"), [(b"{", Health.PARSE_ERROR), (b'{"results": []}', Health.NOT_A_FEED)]
    )
    def test_unusable_bodies_are_named(self, raw, health):
        with pytest.raises(FeedParseError) as raised:
            parse_filings(raw, docket="PS 22-329")
        assert raised.value.health is health


def test_settings_default_to_demo_key_and_refuse_bad_keys_without_echoing_them():
    assert load_settings({}).ecfs.demo and load_settings({}).ecfs.api_key == "DEMO_KEY"
    assert not load_settings({"FCC_API_KEY": KEY}).ecfs.demo
    with pytest.raises(ConfigError) as raised:
        load_settings({"FCC_API_KEY": "sekrit key!"})
    assert "FCC_API_KEY" in str(raised.value) and "sekrit" not in str(raised.value)
    with pytest.raises(ConfigError, match="CALEA_BOT_ECFS_INTERVAL"):
        load_settings({"CALEA_BOT_ECFS_INTERVAL": "5"})
    assert KEY not in repr(load_settings({"FCC_API_KEY": KEY}))


def test_one_source_per_watched_or_tracked_docket(store: Store, tmp_path: Path):
    channel = store.subscriptions.ensure_destination("slack", "C1", now=NOW).id
    store.watches.add(Watch(channel, "docket", "WC 17-97"), now=NOW)
    store.watches.add(Watch(channel, "docket", "PS 22-329"), now=NOW)  # also tracked: once
    config = Config(path=tmp_path / "f.yaml", sources=(), topics=TOPICS, matters=(CALEA,))
    sources = ecfs_sources(config, store, EcfsSettings())
    assert [(s.id, s.docket) for s in sources] == [
        ("ecfs-ps-22-329", "PS 22-329"),
        ("ecfs-wc-17-97", "WC 17-97"),
    ]
    assert "DEMO_KEY" in sources[0].name and "proceedings.name=22-329" in sources[0].url


@pytest.fixture
def ecfs():
    with FeedServer() as server:
        yield FakeEcfs(server, api_key=KEY)


def pipeline_for(store: Store, tmp_path: Path) -> Pipeline:
    config = Config(
        path=tmp_path / "f.yaml",
        sources=(),
        topics=TOPICS,
        matters=(CALEA,),
        fetch=FAST_LIMITS,
        first_poll_alerts=50,
    )
    return Pipeline(config, store, Fetcher(config.fetch), InlineAnalyzer(TOPICS, (CALEA,)),
                    clock=lambda: NOW)  # fmt: skip


def poll(pipeline: Pipeline, source):
    async def go():
        try:
            return await pipeline.poll_source(source)
        finally:
            await pipeline.fetcher.aclose()

    return asyncio.run(go())


def channels(store: Store) -> dict[str, int]:
    ids = {}
    for name in ("docket", "matter", "everything", "other"):
        ids[name] = store.subscriptions.ensure_destination("slack", name, now=NOW).id
    store.watches.add(Watch(ids["docket"], "docket", "PS 22-329"), now=NOW)
    store.watches.add(Watch(ids["matter"], "matter", "calea-network-security", "daily"), now=NOW)
    store.subscriptions.subscribe(ids["everything"], ["*", "calea"], now=NOW)
    store.watches.add(Watch(ids["other"], "docket", "WC 17-97"), now=NOW)
    return ids


def test_new_filings_alert_only_watchers_of_the_docket_or_its_matter(
    store: Store, tmp_path: Path, ecfs: FakeEcfs
):
    ids = channels(store)
    ecfs.filings = [
        filing("1111", "22-329", filer="CTIA", day="2025-11-03"),
        filing("2222", "22-329", filer="NCTA", kind="NOTICE OF EXPARTE", day="2025-11-20"),
        filing("3333", "17-97", filer="Somebody"),
    ]
    source = ecfs_source("PS 22-329", EcfsSettings(api_key=KEY, demo=False, url=ecfs.url))
    outcome = poll(pipeline_for(store, tmp_path), source)
    assert outcome.health is Health.OK and outcome.ingest.new == 2
    assert len(ecfs.queries()) == 1  # one request per docket per poll
    rows = store.db.execute(
        "SELECT destination_id, digest, reason, i.title FROM outbox o "
        "JOIN items i ON i.event_id = o.event_id ORDER BY destination_id, i.title"
    ).fetchall()
    assert rows == [
        (ids["docket"], 0, "watch: docket PS 22-329", "Comment by CTIA in PS 22-329"),
        (ids["docket"], 0, "watch: docket PS 22-329", "Ex parte by NCTA in PS 22-329"),
        (ids["matter"], 1, "watch: matter calea-network-security", "Comment by CTIA in PS 22-329"),
        (ids["matter"], 1, "watch: matter calea-network-security", "Ex parte by NCTA in PS 22-329"),
    ]  # neither the '*'/calea subscriber nor the WC 17-97 watcher

    ecfs.filings.append(filing("4444", "22-329", filer="AT&T", day="2025-11-25"))
    later = dataclasses.replace(source)
    assert poll(pipeline_for(store, tmp_path), later).ingest.new == 1  # only the new filing


def test_rate_limit_backs_off_and_the_key_never_shows(
    store: Store, tmp_path: Path, ecfs: FakeEcfs, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    ecfs.limited = True
    source = ecfs_source("PS 22-329", EcfsSettings(api_key=KEY, demo=True, url=ecfs.url))
    outcome = poll(pipeline_for(store, tmp_path), source)
    assert outcome.health is Health.RATE_LIMITED
    state = store.sources.get(source.id)
    assert state.next_poll_at >= NOW + dt.timedelta(seconds=3600)  # Retry-After honoured
    assert "DEMO_KEY's rate limit was hit; set FCC_API_KEY" in state.message
    # status (CLI and chat) lists the docket's health from its stored state
    channel = store.subscriptions.ensure_destination("slack", "C1", now=NOW).id
    store.watches.add(Watch(channel, "docket", "PS 22-329"), now=NOW)
    config = Config(path=tmp_path / "f.yaml", sources=(), topics=TOPICS, matters=())
    [row] = build_status(config, store, NOW).sources
    assert (row.source.name, row.state.health) == ("ECFS filings PS 22-329", "rate_limited")
    store.watches.remove(channel, None, None)
    assert build_status(config, store, NOW).sources == ()  # unwatched: not listed
    dump = "\n".join(dump_rows(store))
    assert KEY not in dump and KEY not in caplog.text and KEY not in outcome.message
