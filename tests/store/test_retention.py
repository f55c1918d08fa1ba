"""Retention: old items go with their versions, sent alerts and search rows; tracked matters'
items and undelivered alerts stay; a pruned item still in its feed is never alerted again."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
import stat

import pytest

from bot.app.adapters import ensure_console_destination
from bot.app.build import build_pipeline, close_pipeline
from bot.app.maintenance import prune_now
from bot.app.scheduler import BotScheduler
from bot.common.clock import utc_now
from bot.errors import CaleaBotError
from bot.models import Source
from bot.store import Store
from bot.store.retention import backup, prune
from tests.app.test_cli import calea
from tests.fakes.feeds import numbered_entries, rss
from tests.pipeline.test_poll import make_config, make_pipeline

NOW = utc_now()
OLD = NOW - dt.timedelta(days=100)
OLD_EVENTS = "(SELECT event_id FROM items WHERE source_id = 'old')"


def counts(store: Store) -> dict[str, int]:
    q = store.db.execute
    return {
        "items": q("SELECT count(*) FROM items").fetchone()[0],
        "fts": q(
            "SELECT count(*) FROM items WHERE search IS NOT NULL"
            if store.dialect == "postgres"
            else "SELECT count(*) FROM items_fts"
        ).fetchone()[0],
        "outbox": q("SELECT count(*) FROM outbox").fetchone()[0],
        "versions": q("SELECT count(*) FROM item_versions").fetchone()[0],
    }


def poll(store: Store, source: Source, tmp_path, at: dt.datetime):
    pipeline = make_pipeline(make_config(tmp_path, [source]), store)
    pipeline.clock = lambda: at

    async def once():
        try:
            return await pipeline.poll_source(source)
        finally:
            await pipeline.fetcher.aclose()

    return asyncio.run(once())


@pytest.fixture
def stocked(db_target, tmp_path, feed_server):
    """Old source: 4 items seen 100 days ago (one later revised, alerts sent); one of them
    joined a tracked matter; a fresh source: 2 items seen now. SQLite, then PostgreSQL."""
    yield from _stocked(Store(db_target), tmp_path, feed_server)


@pytest.fixture
def stocked_file(tmp_path, feed_server):
    """`stocked` in a SQLite file (backups copy files)."""
    yield from _stocked(Store(tmp_path / "bot.db"), tmp_path, feed_server)


def _stocked(store, tmp_path, feed_server):
    ensure_console_destination(store, OLD)
    old_entries = numbered_entries("old", 4)
    feed_server.route("/old", body=rss(old_entries))
    feed_server.route("/new", body=rss(numbered_entries("new", 2)))
    old = Source(id="old", name="Old", url=feed_server.url("/old"))
    new = Source(id="new", name="New", url=feed_server.url("/new"))
    assert poll(store, old, tmp_path, OLD).ingest.new == 4
    old_entries[3] = old_entries[3].__class__(**{**old_entries[3].__dict__, "title": "revised"})
    feed_server.route("/old", body=rss(old_entries))
    assert poll(store, old, tmp_path, OLD + dt.timedelta(days=1)).ingest.updated == 1
    assert poll(store, new, tmp_path, NOW).ingest.new == 2
    store.db.execute(
        f"UPDATE outbox SET state = 'sent', sent_at = ? WHERE event_id IN {OLD_EVENTS}",
        [OLD.isoformat()],
    )
    first_old = store.db.execute("SELECT min(id) FROM items WHERE source_id = 'old'").fetchone()[0]
    store.db.execute(
        "INSERT INTO matter_events (matter_id, date, label, item_id) VALUES (?, ?, ?, ?)",
        ["calea-network-security", "2025-01-15", "Declaratory Ruling", first_old],
    )
    yield store, old, feed_server, rss(old_entries)
    store.close()


def test_dry_run_counts_and_changes_nothing(stocked):
    store, *_ = stocked
    before = counts(store)
    report = prune(store.db, 30, NOW, dry_run=True)
    assert (report.items, report.fts_rows, report.versions) == (3, 3, 1)
    assert report.outbox >= 3 and report.kept_for_matters == 1 and report.dry_run
    assert counts(store) == before


def test_prune_keeps_matter_items_and_recent_ones_and_never_realerts(stocked, tmp_path):
    store, old, server, body = stocked
    report = prune(store.db, 30, NOW)
    assert (report.items, report.fts_rows, report.versions, report.events) == (3, 3, 1, 3)
    after = counts(store)
    assert after["items"] == 3 and after["fts"] == 3 and after["versions"] == 0
    titles = [i.title for i in store.queries.search("notice", limit=50)]
    assert sorted(t.split(":")[0] for t in titles) == [
        "new notice 0",
        "new notice 1",
        "old notice 0",
    ]
    if store.dialect == "sqlite":
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
    # The old items are still in their feed: seen, not new, no alert queued.
    server.route("/old", body=body + b"\n")  # not byte-identical
    again = poll(store, old, tmp_path, NOW)
    assert (again.ingest.new, again.ingest.alerts_queued) == (0, 0)
    assert again.ingest.seen == 4
    assert prune(store.db, 30, NOW).items == 0


def test_undelivered_alerts_keep_their_items(stocked):
    store, *_ = stocked
    store.db.execute(
        "UPDATE outbox SET state = 'pending' "
        f"WHERE id = (SELECT max(id) FROM outbox WHERE event_id IN {OLD_EVENTS})"
    )
    assert prune(store.db, 30, NOW).items == 2


def test_nothing_is_pruned_inside_the_window(stocked):
    store, *_ = stocked
    assert prune(store.db, 365, NOW).items == 0


def test_backup_copies_the_live_database_privately_and_refuses_to_overwrite(stocked_file, tmp_path):
    store, *_ = stocked_file
    target = tmp_path / "copy.db"
    backup(store.db, target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    copy = Store(target)
    try:
        assert counts(copy) == counts(store)
    finally:
        copy.close()
    with pytest.raises(CaleaBotError, match="already exists; pass --force"):
        backup(store.db, target)
    backup(store.db, target, force=True)


@pytest.mark.postgres
def test_backup_on_postgres_points_at_pg_dump(pg_url, tmp_path):
    store = Store(pg_url)
    try:
        with pytest.raises(CaleaBotError, match="pg_dump"):
            backup(store.db, tmp_path / "copy.db")
    finally:
        store.close()


# -- the commands and the daily job in `run` ---------------------------------------------------


def test_prune_and_backup_commands(stocked_file, tmp_path):
    store, *_ = stocked_file
    db = str(store.target)
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("sources:\n  - {id: old, url: 'https://example.gov/f'}\n")
    unset = calea("prune", "--feeds", str(feeds), "--db", db, cwd=tmp_path)
    assert unset.returncode == 2 and "retention_days is not set" in unset.stderr
    feeds.write_text("settings:\n  retention_days: 30\n" + feeds.read_text())
    dry = calea("prune", "--dry-run", "--json", "--feeds", str(feeds), "--db", db, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["items"] == 3 and json.loads(dry.stdout)["dry_run"] is True
    done = calea("prune", "--feeds", str(feeds), "--db", db, cwd=tmp_path)
    assert done.stdout.startswith("pruned items older than") and "3 items" in done.stdout
    target = tmp_path / "backup.db"
    first = calea("backup", str(target), "--feeds", str(feeds), "--db", db, cwd=tmp_path)
    assert first.returncode == 0 and target.exists(), first.stderr
    again = calea("backup", str(target), "--feeds", str(feeds), "--db", db, cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    assert again.stderr.count("\n") == 1
    forced = calea(
        "backup", str(target), "--force", "--feeds", str(feeds), "--db", db, cwd=tmp_path
    )
    assert forced.returncode == 0, forced.stderr


@pytest.mark.parametrize("days", [None, 30])
def test_run_schedules_a_daily_prune_only_with_retention_days(tmp_path, days):
    config = dataclasses.replace(make_config(tmp_path, []), retention_days=days)
    store = Store(tmp_path / "bot.db")

    async def main():
        pipeline = build_pipeline(config, store)
        scheduler = BotScheduler(pipeline, {}, delivery_store_factory=lambda: Store(store.target))
        task = asyncio.create_task(scheduler.run())
        await scheduler.started.wait()
        job = scheduler._scheduler.get_job("retention")
        scheduler.stop()
        await task
        await close_pipeline(pipeline)
        return job

    try:
        job = asyncio.run(main())
    finally:
        store.close()
    if days is None:
        assert job is None
    else:
        assert job is not None and job.trigger.interval == dt.timedelta(days=1)


def test_the_daily_job_prunes(stocked):
    store, *_ = stocked
    report = prune_now(lambda: Store(store.target), 30)
    assert report.items == 3 and not report.dry_run


def test_an_open_deadline_keeps_its_event(stocked):
    store, *_ = stocked
    last_old = store.db.execute(
        "SELECT event_id FROM items WHERE source_id = 'old' ORDER BY id DESC LIMIT 1"
    ).fetchone()[0]
    upcoming = (NOW + dt.timedelta(days=20)).date().isoformat()
    store.db.execute(
        "INSERT INTO deadlines (subject, kind, due_date, basis, confidence, event_id, title, "
        "created_at, updated_at) VALUES ('doc:FCC 25-1', 'comments_close', ?, 'text', 'high', "
        "?, 'Comments due', ?, ?)",
        [upcoming, last_old, NOW.isoformat(), NOW.isoformat()],
    )
    assert prune(store.db, 30, NOW, dry_run=True).items == 2  # was 3: one waits for its deadline
    store.db.execute(
        "UPDATE deadlines SET due_date = ?", [(NOW - dt.timedelta(days=1)).date().isoformat()]
    )
    assert prune(store.db, 30, NOW, dry_run=True).items == 3  # a past deadline keeps nothing
