"""SlackSink behind the real outbox: drain_outbox → fake Slack → outcomes recorded in SQLite."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.config import Config
from bot.pipeline.deliver import Courier, drain_outbox
from bot.sinks.slack import SlackSink
from bot.store import Store
from tests.fakes.slack_api import FakeClock, FakeSlackApi
from tests.sinks.slack.conftest import NOW, poll


def outbox_states(store: Store) -> list[tuple[str, str | None]]:
    rows = store.db.execute("SELECT state, last_error FROM outbox ORDER BY id").fetchall()
    return [(state, error) for state, error in rows]


def subscribe(store: Store, channel: str = "C0ALERTS") -> int:
    destination = store.subscriptions.ensure_destination("slack", channel, "reg-alerts", now=NOW)
    store.subscriptions.subscribe(destination.id, ["calea"], now=NOW)
    return destination.id


def test_alerts_of_one_proceeding_thread_under_the_first_post(
    store: Store, config: Config, client: WebClient, slack: FakeSlackApi, clock: FakeClock
) -> None:
    subscribe(store)
    sink = Courier(SlackSink(client), clock=clock, sleep=clock.sleep)
    poll(store, config, ["CALEA order adopted"])
    drain_outbox(store, {"slack": sink}, now=NOW)
    poll(store, config, ["CALEA order published in the Federal Register"], at=NOW.replace(minute=5))
    drain_outbox(store, {"slack": sink}, now=NOW.replace(minute=5))

    first, second = slack.messages("C0ALERTS")
    assert first.thread_ts is None
    assert second.thread_ts == first.ts  # the core remembered the thread from the first post
    assert [s for s, _ in outbox_states(store)] == ["sent", "sent"]


def test_a_dead_channel_pauses_its_destination_and_keeps_the_alerts(
    store: Store, config: Config, client: WebClient, slack: FakeSlackApi, clock: FakeClock
) -> None:
    destination_id = subscribe(store)
    slack.fail("chat.postMessage", error="is_archived")
    poll(store, config, ["CALEA order adopted", "CALEA guidance"])

    drain_outbox(
        store, {"slack": Courier(SlackSink(client), clock=clock, sleep=clock.sleep)}, now=NOW
    )

    [destination] = [d for d in store.subscriptions.destinations() if d.id == destination_id]
    assert "is_archived" in destination.paused_reason
    assert [s for s, _ in outbox_states(store)] == ["pending", "pending"]
    assert slack.messages() == []
