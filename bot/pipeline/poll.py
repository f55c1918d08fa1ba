"""The one place that knows the order: fetch → parse/analyse → store → (outbox) → sinks.

`Pipeline.poll_source` polls one source and stores what it found in one transaction;
`Pipeline.run_cycle` polls many concurrently, so a slow or dead source never delays the others.
Delivery (outbox → sinks) lives in bot.pipeline.deliver and runs on its own schedule.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.alerts.digest_schedule import DigestSchedule
from bot.alerts.policy import AlertLimits, decide_alerts
from bot.common.clock import utc_now
from bot.config import Config
from bot.errors import FeedParseError
from bot.feeds.backoff import next_poll_delay
from bot.feeds.ecfs import health_message
from bot.feeds.fetch import Fetcher
from bot.models import AnalyzedItem, CycleReport, FetchResult, Health, Source
from bot.pipeline.analyze import AnalyzedFeed
from bot.pipeline.analyzer import Analyzer
from bot.pipeline.deadlines import record_deadlines
from bot.pipeline.poll_log import report_poll
from bot.store import IngestResult, Store

log = logging.getLogger(__name__)

BROKEN_AFTER_FAILURES = 3  # tell a human once a source has failed this many polls in a row


@dataclass(frozen=True)
class SourceOutcome:
    """What polling one source did."""

    source: Source
    health: Health
    message: str
    ingest: IngestResult = field(default_factory=IngestResult)
    warnings: tuple[str, ...] = ()


@dataclass
class Pipeline:
    """Polls sources and stores their items; owns no threads or schedules of its own."""

    config: Config
    store: Store
    fetcher: Fetcher
    analyzer: Analyzer
    clock: Callable[[], dt.datetime] = utc_now
    rng: random.Random = field(default_factory=random.Random)
    digests: DigestSchedule = field(default_factory=DigestSchedule)
    # Told (outcome, seconds) after each source's poll, e.g. a progress counter.
    observers: list[Callable[[SourceOutcome, float], object]] = field(default_factory=list)
    # (platform, address) of admin channels told once when a source breaks and recovers.
    admin_targets: tuple[tuple[str, str], ...] = ()

    async def poll_source(self, source: Source) -> SourceOutcome:
        """Fetch, analyse and store one source; failures end as a health state, never raise."""
        started = time.monotonic()
        outcome = await self._poll_source(source)
        report_poll(outcome, time.monotonic() - started, self.observers)
        return outcome

    async def _poll_source(self, source: Source) -> SourceOutcome:
        state = self.store.sources.get(source.id)
        result = await self.fetcher.fetch(
            source, etag=state.etag, last_modified=state.last_modified
        )
        health, message = result.health, health_message(source, result.health, result.message)
        feed: AnalyzedFeed | None = None
        body_hash = None
        if health is Health.OK and result.body is not None:
            body_hash = hashlib.sha256(result.body).hexdigest()
            if body_hash == state.body_hash and not state.never_succeeded:
                health, message = Health.NOT_MODIFIED, "unchanged (identical body)"
            else:
                try:
                    feed = await self.analyzer.analyze(
                        result.body,
                        source=source,
                        base_url=result.url,
                        content_type=result.content_type,
                    )
                except FeedParseError as exc:
                    health, message = exc.health, exc.message
        return self._store_outcome(
            source,
            state.never_succeeded,
            result,
            health,
            message,
            feed,
            body_hash,
            state.consecutive_failures,
        )

    def _store_outcome(
        self,
        source: Source,
        first_poll: bool,
        result: FetchResult,
        health: Health,
        message: str,
        feed: AnalyzedFeed | None,
        body_hash: str | None,
        failures_before: int,
    ) -> SourceOutcome:
        now = self.clock()
        failures = 0 if health.is_success else failures_before + 1
        delay = next_poll_delay(
            source.interval_seconds,
            failures,
            result.retry_after_seconds,
            self.config.fetch,
            self.rng,
        )
        limits = AlertLimits(self.config.first_poll_alerts, self.config.max_alerts_per_poll)
        ingest = IngestResult()
        with self.store.transaction():
            if feed is not None:
                ingest = store_items(
                    self.store,
                    source,
                    feed.items,
                    now=now,
                    first_poll=first_poll,
                    limits=limits,
                    digest_at=self.digests.next_after(now),
                    matter_dockets={m.id: m.dockets for m in self.config.matters},
                )
                message = _describe(ingest, len(feed.items))
            self.store.sources.record(
                result,
                health=health,
                message=message,
                now=now,
                next_poll_at=now + dt.timedelta(seconds=delay),
                body_hash=body_hash,
                new_items=ingest.new,
            )
            self._queue_health_notice(source, health, message, failures, failures_before, now)
        warnings = (*(feed.warnings if feed else ()), *ingest.warnings)
        self._tell_about_health(source, health, message, failures, failures_before)
        return SourceOutcome(source, health, message, ingest, tuple(warnings))

    def _queue_health_notice(
        self,
        source: Source,
        health: Health,
        message: str,
        failures: int,
        failures_before: int,
        now: dt.datetime,
    ) -> None:
        """In the poll's transaction: one admin message when the source breaks or recovers."""
        text = health_notice(source, health, message, failures, failures_before)
        if text is None or not self.admin_targets:
            return
        kind = "broken" if failures else "recovered"
        key = f"source:{source.id}:{kind}:{now.isoformat()}"
        self.store.notices.enqueue(self.admin_targets, key, text, now)

    @staticmethod
    def _tell_about_health(
        source: Source, health: Health, message: str, failures: int, failures_before: int
    ) -> None:
        if failures == BROKEN_AFTER_FAILURES:
            log.warning(
                "source %s has failed %d polls in a row: %s — %s (backing off; see "
                "`calea-bot status`)",
                source.id,
                failures,
                health.value,
                message,
            )
        elif failures == 0 and failures_before >= BROKEN_AFTER_FAILURES:
            log.warning("source %s recovered after %d failed polls", source.id, failures_before)

    async def run_cycle(
        self, sources: Sequence[Source] | None = None, *, only_due: bool = False
    ) -> CycleReport:
        """Poll sources concurrently and summarise the cycle."""
        now = self.clock()
        chosen = [s for s in (sources or self.config.sources) if s.enabled]
        report = CycleReport()
        if only_due:
            states = self.store.sources.all()
            due = [s for s in chosen if s.id not in states or states[s.id].is_due(now)]
            report.feeds_skipped = len(chosen) - len(due)
            chosen = due
        outcomes = await asyncio.gather(*(self._poll_guarded(s) for s in chosen))
        for outcome in outcomes:
            add_to_report(report, outcome)
        return report

    async def _poll_guarded(self, source: Source) -> SourceOutcome:
        """poll_source, but a bug in one source's handling is logged and isolated."""
        try:
            return await self.poll_source(source)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - isolate one source's unexpected failure
            log.exception("unexpected error while polling %s", source.id)
            return SourceOutcome(source, Health.PARSE_ERROR, f"internal error: {exc!r}")


def health_notice(
    source: Source, health: Health, message: str, failures: int, failures_before: int
) -> str | None:
    """The admin message for a source that just broke or recovered, else None."""
    if failures == BROKEN_AFTER_FAILURES:
        return (
            f"Source {source.name} ({source.id}) is broken: {failures} polls in a row failed "
            f"— {health.value}: {message}. The bot keeps retrying with backoff; "
            "`calea-bot status` shows details. You will be told when it recovers."
        )
    if failures == 0 and failures_before >= BROKEN_AFTER_FAILURES:
        return (
            f"Source {source.name} ({source.id}) recovered after {failures_before} failed "
            f"polls: {health.value}."
        )
    return None


def store_items(
    store: Store,
    source: Source,
    items: Sequence[AnalyzedItem],
    *,
    now: dt.datetime,
    first_poll: bool = False,
    limits: AlertLimits | None = None,
    digest_at: dt.datetime | None = None,
    matter_dockets: Mapping[str, Sequence[str]] | None = None,
) -> IngestResult:
    """Store one source's items, decide which alert (bot.alerts.policy), queue them.

    Call inside `store.transaction()`: items and their outbox rows are written together.
    """
    result = store.items.ingest(source, items, now=now)
    changes = result.changes
    decision = decide_alerts(
        changes,
        store.subscriptions.all() if changes.new_events else (),
        store.outbox.posted_to([c.event_id for c in changes.changed_events]),
        source_name=source.name,
        first_poll=first_poll,
        limits=limits or AlertLimits(),
        now=now,
        digest_at=digest_at,
        watches=store.watches.index() if changes.new_events else None,
        matter_dockets=matter_dockets,
    )
    result.alerts_queued = store.outbox.enqueue(decision.alerts, now)
    result.alerts_queued += record_deadlines(store, source, items, now=now)
    result.quiet = decision.quiet
    result.warnings.extend(decision.warnings)
    return result


def _describe(ingest: IngestResult, total: int) -> str:
    return f"{total} items: {ingest.new} new, {ingest.updated} updated, {ingest.seen} already seen"


def add_to_report(report: CycleReport, outcome: SourceOutcome) -> None:
    """Fold one source's outcome into a cycle report."""
    if outcome.health is Health.OK:
        report.feeds_ok += 1
    elif outcome.health is Health.NOT_MODIFIED:
        report.feeds_not_modified += 1
    else:
        report.feeds_failed += 1
        report.failures[outcome.source.id] = f"{outcome.health.value}: {outcome.message}"
    report.items_new += outcome.ingest.new
    report.items_updated += outcome.ingest.updated
    report.items_seen += outcome.ingest.seen
    report.alerts_queued += outcome.ingest.alerts_queued
