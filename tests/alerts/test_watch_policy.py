"""Watches in the alert policy (pure): dockets, matters, phrases; one alert per channel."""

from __future__ import annotations

import datetime as dt

from bot.alerts.policy import AlertLimits, NewEvent, PollChanges, decide_alerts
from bot.alerts.watches import WatchIndex, phrase_words
from bot.models import Subscription, Watch

NOW = dt.datetime(2025, 12, 1, 15, 0, tzinfo=dt.UTC)
DIGEST = NOW + dt.timedelta(hours=17)


def decide(events, subscriptions=(), watches=(), matter_dockets=None):
    return decide_alerts(
        PollChanges(new_events=list(events)),
        subscriptions,
        {},
        source_name="FCC",
        first_poll=False,
        limits=AlertLimits(),
        now=NOW,
        digest_at=DIGEST,
        watches=WatchIndex.build(watches),
        matter_dockets=matter_dockets,
    )


def event(event_id=1, *, topics=(), dockets=(), matters=(), text="", watch_only=False):
    return NewEvent(event_id, topics, NOW, dockets, matters, text, watch_only)


def test_a_docket_watch_alerts_its_channel_and_says_why():
    decision = decide([event(dockets=("PS 22-329",))], watches=[Watch(7, "docket", "PS 22-329")])
    [alert] = decision.alerts
    assert (alert.destination_id, alert.digest, alert.reason) == (
        7,
        False,
        "watch: docket PS 22-329",
    )


def test_a_docket_watch_ignores_other_dockets():
    decision = decide([event(dockets=("PS 22-330",))], watches=[Watch(7, "docket", "PS 22-329")])
    assert decision.alerts == []


def test_a_phrase_matches_whole_words_in_any_case_and_punctuation():
    watches = [Watch(7, "phrase", "Network Security")]
    hit = decide([event(text="New NETWORK-security rules\nfor carriers")], watches=watches)
    assert [a.reason for a in hit.alerts] == ['watch: "Network Security"']
    for text in ("networks security", "network securityx", "security network", ""):
        assert decide([event(text=text)], watches=watches).alerts == [], text


def test_a_phrase_is_never_a_regex():
    watches = [Watch(7, "phrase", "a.c (x)")]
    assert decide([event(text="abc x")], watches=watches).alerts == []
    assert len(decide([event(text="A C x!")], watches=watches).alerts) == 1
    assert phrase_words("a.c (x)") == ("a", "c", "x")


def test_topic_and_watch_in_one_channel_alert_once_realtime_wins():
    subscriptions = [Subscription(7, "calea", "daily")]
    watches = [Watch(7, "docket", "PS 22-329"), Watch(7, "phrase", "calea")]
    decision = decide(
        [event(topics=("calea",), dockets=("PS 22-329",), text="CALEA ruling")],
        subscriptions,
        watches,
    )
    [alert] = decision.alerts
    assert alert.digest is False and alert.due_at == NOW
    assert alert.reason == 'watch: docket PS 22-329; watch: "calea"'


def test_daily_watches_go_to_the_digest():
    decision = decide(
        [event(dockets=("WC 17-97",))], watches=[Watch(3, "docket", "WC 17-97", "daily")]
    )
    [alert] = decision.alerts
    assert alert.digest is True and alert.due_at == DIGEST


def test_a_matter_watch_matches_its_matter_or_its_dockets():
    watches = [Watch(4, "matter", "calea-network-security")]
    by_matter = decide([event(matters=("calea-network-security",))], watches=watches)
    by_docket = decide(
        [event(2, dockets=("PS 22-329",))],
        watches=watches,
        matter_dockets={"calea-network-security": ("PS 22-329",)},
    )
    assert [a.reason for a in by_matter.alerts] == ["watch: matter calea-network-security"]
    assert [a.event_id for a in by_docket.alerts] == [2]


def test_watch_only_events_skip_topic_subscribers_even_everything():
    subscriptions = [Subscription(1, "*"), Subscription(2, "calea")]
    watches = [Watch(3, "docket", "PS 22-329")]
    filing = event(topics=("calea",), dockets=("PS 22-329",), watch_only=True)
    assert [a.destination_id for a in decide([filing], subscriptions, watches).alerts] == [3]


def test_without_watches_topics_route_as_before():
    decision = decide([event(topics=("calea",))], [Subscription(1, "calea")])
    assert [(a.destination_id, a.reason) for a in decision.alerts] == [(1, "")]
