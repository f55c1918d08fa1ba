"""The alert policy (pure): which new or changed events alert, to whom, realtime or digest.

The store reports what a poll changed (`PollChanges`); `decide_alerts` turns it into outbox
rows, given the channels' subscriptions:
- a new event alerts every destination subscribed to one of its topics (or to everything,
  '*'); a destination whose matching subscriptions are all `daily` gets it in its next digest;
- a new source's backlog is stored quietly except its newest `first_poll_alerts` events, and a
  poll with more than `max_alerts_per_poll` new events (a storm) alerts only the newest ones;
- an update of an event already posted somewhere is queued as an edit for those destinations;
- watches (bot.alerts.watches) add destinations exactly like topics do, with the reason kept;
  a destination a topic and a watch both select gets the event once. Watch-only events
  (docket filings) skip topic subscribers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.alerts.watches import WatchIndex
from bot.models import Subscription

_OLDEST = dt.datetime.min.replace(tzinfo=dt.UTC)
EVERYTHING = "*"


@dataclass(frozen=True)
class AlertLimits:
    """How many of a poll's new events may alert."""

    first_poll_alerts: int = 3
    max_alerts_per_poll: int = 20


@dataclass(frozen=True)
class NewEvent:
    """A real-world event first seen in this poll."""

    event_id: int
    topics: tuple[str, ...]
    published: dt.datetime | None = None
    dockets: tuple[str, ...] = ()
    matters: tuple[str, ...] = ()
    text: str = ""  # title and text, for phrase watches
    watch_only: bool = False  # only watches route it (docket filings), never topics


@dataclass(frozen=True)
class ChangedEvent:
    """An event whose primary item changed: its new revision."""

    event_id: int
    revision: int


@dataclass
class PollChanges:
    """What storing one source's items changed, as the store reports it."""

    new_events: list[NewEvent] = field(default_factory=list)
    changed_events: list[ChangedEvent] = field(default_factory=list)


@dataclass(frozen=True)
class QueuedAlert:
    """One outbox row to write: an event for a destination, now or in the next digest."""

    event_id: int
    destination_id: int
    action: str  # "new" | "update"
    revision: int
    due_at: dt.datetime
    digest: bool = False
    reason: str = ""  # "watch: docket PS 22-329" when a watch selected the destination


@dataclass
class AlertDecision:
    """The rows to queue, how many new events stayed quiet, and what a human should know."""

    alerts: list[QueuedAlert] = field(default_factory=list)
    quiet: int = 0
    warnings: list[str] = field(default_factory=list)


def decide_alerts(
    changes: PollChanges,
    subscriptions: Iterable[Subscription],
    posted_to: Mapping[int, Sequence[int]],
    *,
    source_name: str,
    first_poll: bool,
    limits: AlertLimits,
    now: dt.datetime,
    digest_at: dt.datetime | None = None,
    watches: WatchIndex | None = None,
    matter_dockets: Mapping[str, Sequence[str]] | None = None,
) -> AlertDecision:
    """Outbox rows for one poll (see the module). `posted_to`: event → destinations posted."""
    decision = AlertDecision()
    limit = limits.first_poll_alerts if first_poll else limits.max_alerts_per_poll
    newest_first = sorted(changes.new_events, key=lambda e: e.published or _OLDEST, reverse=True)
    alerted, quiet = newest_first[:limit], newest_first[limit:]
    decision.quiet = len(quiet)
    if quiet and not first_poll:
        decision.warnings.append(
            f"{len(changes.new_events)} new items in one poll of {source_name}; alerted the "
            f"newest {limit}, stored the rest quietly (max_alerts_per_poll)"
        )
    by_topic = _by_topic(subscriptions)
    digest_due = digest_at or now + dt.timedelta(days=1)
    docket_matters: dict[str, list[str]] = {}
    for matter, its_dockets in (matter_dockets or {}).items():
        for docket in its_dockets:
            docket_matters.setdefault(docket, []).append(matter)
    for event in alerted:
        audience = {} if event.watch_only else _audience(event.topics, by_topic)
        reasons: dict[int, str] = {}
        if watches is not None and watches.size:
            hits = watches.audience(event.dockets, event.matters, event.text, docket_matters)
            for destination_id, hit in hits.items():
                audience[destination_id] = audience.get(destination_id, True) and hit.daily
                reasons[destination_id] = hit.reason
        for destination_id, daily in sorted(audience.items()):
            due = digest_due if daily else now
            decision.alerts.append(
                QueuedAlert(
                    event.event_id, destination_id, "new", 1, due, daily,
                    reasons.get(destination_id, ""),
                )
            )  # fmt: skip
    for changed in changes.changed_events:
        for destination_id in sorted(set(posted_to.get(changed.event_id, ()))):
            decision.alerts.append(
                QueuedAlert(changed.event_id, destination_id, "update", changed.revision, now)
            )
    return decision


def _by_topic(subscriptions: Iterable[Subscription]) -> dict[str, list[Subscription]]:
    grouped: dict[str, list[Subscription]] = {}
    for subscription in subscriptions:
        grouped.setdefault(subscription.topic, []).append(subscription)
    return grouped


def _audience(topics: Sequence[str], by_topic: Mapping[str, list[Subscription]]) -> dict[int, bool]:
    """Destination → True when it gets this event only in its daily digest."""
    daily: dict[int, bool] = {}
    for topic in (*topics, EVERYTHING):
        for subscription in by_topic.get(topic, ()):
            only_daily = subscription.mode == "daily"
            daily[subscription.destination_id] = (
                daily.get(subscription.destination_id, True) and only_daily
            )
    return dict(sorted(daily.items()))
