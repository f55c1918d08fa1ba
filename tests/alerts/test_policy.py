"""The alert policy, without SQLite: who gets which new or changed event, when."""

from __future__ import annotations

import datetime as dt

from bot.alerts.policy import (
    AlertLimits,
    ChangedEvent,
    NewEvent,
    PollChanges,
    decide_alerts,
)
from bot.models import Subscription

NOW = dt.datetime(2025, 11, 21, 12, 0, tzinfo=dt.UTC)
DIGEST = dt.datetime(2025, 11, 22, 8, 0, tzinfo=dt.UTC)


def decide(changes, subscriptions=(), posted=None, *, first_poll=False, limits=None):
    return decide_alerts(
        changes,
        subscriptions,
        posted or {},
        source_name="FCC",
        first_poll=first_poll,
        limits=limits or AlertLimits(),
        now=NOW,
        digest_at=DIGEST,
    )


def event(n: int, *topics: str, hours_ago: int = 0) -> NewEvent:
    return NewEvent(n, topics, NOW - dt.timedelta(hours=hours_ago))


def rows(decision):
    return [(a.event_id, a.destination_id, a.action, a.digest) for a in decision.alerts]


def test_a_new_event_reaches_each_destination_subscribed_to_one_of_its_topics_once():
    subscriptions = [
        Subscription(1, "calea"),
        Subscription(1, "cybersecurity"),
        Subscription(2, "robocalls"),
        Subscription(3, "*"),
    ]
    decision = decide(PollChanges([event(7, "calea", "cybersecurity")]), subscriptions)
    assert rows(decision) == [(7, 1, "new", False), (7, 3, "new", False)]
    assert all(a.due_at == NOW for a in decision.alerts)


def test_daily_only_destinations_get_it_in_the_next_digest_and_any_realtime_match_wins():
    subscriptions = [
        Subscription(1, "calea", "daily"),
        Subscription(2, "calea", "daily"),
        Subscription(2, "*", "realtime"),
    ]
    decision = decide(PollChanges([event(7, "calea")]), subscriptions)
    assert rows(decision) == [(7, 1, "new", True), (7, 2, "new", False)]
    assert [a.due_at for a in decision.alerts] == [DIGEST, NOW]


def test_nobody_subscribed_means_nothing_queued():
    assert rows(decide(PollChanges([event(7, "calea")]), [Subscription(1, "robocalls")])) == []


def test_a_new_sources_backlog_alerts_only_its_newest_few_quietly():
    backlog = [event(n, "calea", hours_ago=n) for n in range(1, 11)]
    decision = decide(
        PollChanges(backlog), [Subscription(1, "*")], first_poll=True, limits=AlertLimits(3, 20)
    )
    assert [a.event_id for a in decision.alerts] == [1, 2, 3]
    assert decision.quiet == 7 and decision.warnings == []


def test_a_storm_alerts_the_newest_and_tells_a_human():
    storm = [event(n, "calea", hours_ago=n) for n in range(1, 31)]
    decision = decide(PollChanges(storm), [Subscription(1, "*")], limits=AlertLimits(3, 20))
    assert len(decision.alerts) == 20 and decision.quiet == 10
    assert "30 new items in one poll of FCC" in decision.warnings[0]


def test_an_undated_event_counts_as_the_oldest():
    events = [NewEvent(1, ("calea",), None), event(2, "calea", hours_ago=50)]
    decision = decide(PollChanges(events), [Subscription(1, "*")], limits=AlertLimits(3, 1))
    assert [a.event_id for a in decision.alerts] == [2]


def test_a_changed_event_is_an_edit_only_where_it_was_posted():
    changes = PollChanges(changed_events=[ChangedEvent(7, 3)])
    decision = decide(changes, [Subscription(1, "*")], posted={7: [4, 2, 4]})
    assert [(a.event_id, a.destination_id, a.action, a.revision) for a in decision.alerts] == [
        (7, 2, "update", 3),
        (7, 4, "update", 3),
    ]
    assert decide(changes, [Subscription(1, "*")]).alerts == []
