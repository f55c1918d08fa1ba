"""SlackSink against the fake Web API: grouping, threads, edits, pacing and every failure."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.models import TopicMatch
from bot.pipeline.deliver import MAX_UNEXPLAINED_ATTEMPTS, Courier
from bot.sinks.slack.sink import SlackSink
from tests.fakes.slack_api import FakeClock, FakeSlackApi
from tests.sinks.slack.conftest import HOSTILE_TITLE, assert_valid_blocks, claimed, make_alert


@pytest.fixture
def sink(client: WebClient, clock: FakeClock) -> Courier:
    """The Slack sink behind a courier pacing on the fake clock (sleeping advances it)."""
    return Courier(SlackSink(client), clock=clock, sleep=clock.sleep)


def statuses(outcomes) -> dict[int, str]:
    return {o.outbox_id: o.status for o in outcomes}


def unrelated(n: int) -> TopicMatch:
    return (TopicMatch(f"topic-{n}", "keyword"),)


def test_one_alert_is_posted_safely_with_metadata(sink: Courier, slack: FakeSlackApi) -> None:
    [outcome] = sink.deliver([claimed(make_alert(7, title=HOSTILE_TITLE))])

    [call] = slack.calls("chat.postMessage")
    [message] = slack.messages("C0ALERTS")
    assert outcome.status == "sent" and outcome.ref == message.ts
    assert call.params["unfurl_links"] is False and call.params["unfurl_media"] is False
    assert call.params["text"].startswith("New from FCC EDOCS: &lt;!channel&gt;")
    assert message.metadata == {
        "event_type": "calea_alert",
        "event_payload": {"outbox_id": 7, "event_id": 107, "thread_key": "docket:PS 22-329"},
    }
    assert_valid_blocks(message.blocks)
    assert message.thread_ts is None


def test_alerts_are_paced_to_one_per_second_per_channel(
    sink: Courier, slack: FakeSlackApi, clock: FakeClock
) -> None:
    alerts = [claimed(make_alert(i, dockets=(), topics=unrelated(i))) for i in range(1, 4)]

    outcomes = sink.deliver(alerts)

    assert statuses(outcomes) == {1: "sent", 2: "sent", 3: "sent"}
    assert [c.status for c in slack.calls("chat.postMessage")] == [200, 200, 200]
    assert clock.slept == [1.0, 1.0]


def test_pacing_remembers_the_last_post_across_rounds(
    sink: Courier, slack: FakeSlackApi, clock: FakeClock
) -> None:
    sink.deliver([claimed(make_alert(1))])
    clock.advance(0.25)
    sink.deliver([claimed(make_alert(2, dockets=()))])
    assert clock.slept == [0.75]
    assert all(c.status == 200 for c in slack.calls("chat.postMessage"))


def test_rate_limit_returns_retry_for_everything_not_sent(
    client: WebClient, slack: FakeSlackApi, clock: FakeClock
) -> None:
    impatient = Courier(SlackSink(client), clock=clock, sleep=lambda seconds: None)  # no pacing
    alerts = [claimed(make_alert(i, dockets=(), topics=unrelated(i))) for i in range(1, 4)]

    outcomes = impatient.deliver(alerts)

    assert statuses(outcomes) == {1: "sent", 2: "retry", 3: "retry"}
    assert [o.retry_after_seconds for o in outcomes[1:]] == [1.0, 1.0]
    assert [c.status for c in slack.calls("chat.postMessage")] == [200, 429]


def test_retry_after_header_is_honoured(sink: Courier, slack: FakeSlackApi) -> None:
    slack.fail("chat.postMessage", error="ratelimited", status=429, retry_after=42)
    [outcome] = sink.deliver([claimed(make_alert(1))])
    assert (outcome.status, outcome.retry_after_seconds) == ("retry", 42.0)


def test_server_error_is_retried_with_the_core_backoff(sink: Courier, slack: FakeSlackApi) -> None:
    slack.fail("chat.postMessage", status=500)
    outcomes = sink.deliver([claimed(make_alert(1)), claimed(make_alert(2, dockets=()))])
    assert statuses(outcomes) == {1: "retry", 2: "retry"}
    assert outcomes[0].retry_after_seconds is None
    assert "http_500" in outcomes[0].detail
    assert len(slack.calls("chat.postMessage")) == 1  # stops at the first outage


def test_unreachable_slack_is_retried(clock: FakeClock) -> None:
    with FakeSlackApi(clock=clock) as gone:
        url, token = gone.base_url, gone.token
    client = WebClient(token=token, base_url=url, timeout=1, retry_handlers=[])
    sink = Courier(SlackSink(client), clock=clock, sleep=clock.sleep)
    [outcome] = sink.deliver([claimed(make_alert(1))])
    assert outcome.status == "retry"
    assert "could not reach Slack" in outcome.detail
    assert token not in outcome.detail


@pytest.mark.parametrize(
    "error",
    [
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "token_revoked",
        "invalid_auth",
    ],
)
def test_permanent_errors_pause_the_destination(
    sink: Courier, slack: FakeSlackApi, error: str
) -> None:
    slack.fail("chat.postMessage", error=error)
    outcomes = sink.deliver([claimed(make_alert(1)), claimed(make_alert(2, dockets=()))])
    assert statuses(outcomes) == {1: "pause", 2: "pause"}
    assert f"({error})" in outcomes[0].detail and "#reg-alerts" in outcomes[0].detail
    assert len(slack.calls("chat.postMessage")) == 1


def test_wrong_token_pauses(clock: FakeClock, slack: FakeSlackApi) -> None:
    client = WebClient(token="xoxb-wrong", base_url=slack.base_url)
    [outcome] = Courier(SlackSink(client), clock=clock, sleep=clock.sleep).deliver(
        [claimed(make_alert(1))]
    )
    assert outcome.status == "pause" and "invalid_auth" in outcome.detail
    assert "xoxb-wrong" not in outcome.detail


def test_rejected_blocks_fall_back_to_text_then_fail(sink: Courier, slack: FakeSlackApi) -> None:
    slack.fail("chat.postMessage", error="invalid_blocks")
    [outcome] = sink.deliver([claimed(make_alert(1))])
    assert outcome.status == "sent"
    first, second = slack.calls("chat.postMessage")
    assert "blocks" in first.params and "blocks" not in second.params
    assert second.params["text"].startswith("New from FCC EDOCS")
    assert second.params["metadata"]["event_payload"]["outbox_id"] == 1  # still confirmable

    slack.fail("chat.postMessage", error="invalid_metadata_format")
    [outcome] = sink.deliver([claimed(make_alert(3))])
    assert outcome.status == "sent"
    assert "metadata" not in slack.calls("chat.postMessage")[-1].params

    slack.fail("chat.postMessage", error="msg_too_long", times=2)
    [outcome] = sink.deliver([claimed(make_alert(2))])
    assert outcome.status == "failed" and "msg_too_long" in outcome.detail


def test_unexplained_errors_give_up_after_many_attempts(sink: Courier, slack: FakeSlackApi) -> None:
    slack.fail("chat.postMessage", error="something_new", times=2)
    [early] = sink.deliver([claimed(make_alert(1))])
    [late] = sink.deliver([claimed(make_alert(1), attempts=MAX_UNEXPLAINED_ATTEMPTS)])
    assert (early.status, late.status) == ("retry", "failed")


def test_burst_becomes_one_grouped_message(sink: Courier, slack: FakeSlackApi) -> None:
    outcomes = sink.deliver([claimed(make_alert(i)) for i in range(1, 6)])

    [message] = slack.messages()
    assert_valid_blocks(message.blocks)
    assert message.blocks[0]["text"]["text"] == "5 new regulatory alerts"
    assert message.metadata["event_payload"] == {
        "outbox_ids": "1,2,3,4,5",
        "event_ids": "101,102,103,104,105",
    }
    assert statuses(outcomes) == dict.fromkeys(range(1, 6), "sent")
    assert all(o.ref is None for o in outcomes)  # a grouped post is no thread or edit target


def test_three_alerts_are_still_posted_one_by_one(sink: Courier, slack: FakeSlackApi) -> None:
    sink.deliver([claimed(make_alert(i, dockets=(), topics=unrelated(i))) for i in range(1, 4)])
    assert len(slack.messages()) == 3


def test_digest_rows_become_one_digest(sink: Courier, slack: FakeSlackApi) -> None:
    digest = [claimed(make_alert(i), digest=True) for i in range(1, 3)]
    outcomes = sink.deliver([*digest, claimed(make_alert(9, dockets=()))])

    single, summary = slack.messages()
    assert single.metadata["event_payload"]["outbox_id"] == 9
    assert summary.blocks[0]["text"]["text"] == "Daily digest: 2 items"
    assert_valid_blocks(summary.blocks)
    assert statuses(outcomes) == {1: "sent", 2: "sent", 9: "sent"}


def test_update_edits_the_earlier_post(sink: Courier, slack: FakeSlackApi) -> None:
    [first] = sink.deliver([claimed(make_alert(1))])
    update = make_alert(2, event_id=101, action="update", revision=2, title="Corrected title")

    [outcome] = sink.deliver([claimed(update, ref=first.ref)])

    [call] = slack.calls("chat.update")
    assert call.params["ts"] == first.ref and call.params["channel"] == "C0ALERTS"
    [message] = slack.messages()
    assert message.edits == 1 and "Corrected title" in str(message.blocks)
    assert (outcome.status, outcome.ref) == ("sent", first.ref)


def test_update_of_a_vanished_post_is_posted_in_its_thread(
    sink: Courier, slack: FakeSlackApi
) -> None:
    update = make_alert(2, action="update", revision=2)
    [outcome] = sink.deliver([claimed(update, ref="1699999999.000001")])
    assert [c.error for c in slack.calls("chat.update")] == ["message_not_found"]
    [message] = slack.messages()
    assert message.thread_ts == "1699999999.000001"
    assert outcome.status == "sent"


def test_update_without_earlier_post_is_a_new_message(sink: Courier, slack: FakeSlackApi) -> None:
    sink.deliver([claimed(make_alert(2, action="update", revision=2))])
    assert slack.calls("chat.update") == []
    assert "Updated" in slack.messages()[0].text


def test_alert_with_a_thread_ref_goes_into_that_thread(sink: Courier, slack: FakeSlackApi) -> None:
    [first] = sink.deliver([claimed(make_alert(1))])
    sink.deliver([claimed(make_alert(2), thread_ref=first.ref)])
    assert slack.calls("chat.postMessage")[1].params["thread_ts"] == first.ref


def test_same_proceeding_in_one_round_shares_a_thread(sink: Courier, slack: FakeSlackApi) -> None:
    sink.deliver([claimed(make_alert(1)), claimed(make_alert(2)), claimed(make_alert(3))])
    first, second, third = slack.messages()
    assert first.thread_ts is None
    assert second.thread_ts == first.ts and third.thread_ts == first.ts


def test_channels_are_kept_apart(sink: Courier, slack: FakeSlackApi, clock: FakeClock) -> None:
    from bot.models import Destination

    other = Destination(id=2, platform="slack", address="C0OTHER", name="other")
    sink.deliver([claimed(make_alert(1))])
    sink.deliver([claimed(make_alert(2), destination=other)])
    assert clock.slept == []  # a different channel needs no pause
    assert [m.channel for m in slack.messages()] == ["C0ALERTS", "C0OTHER"]


class TestConfirmDelivered:
    def test_finds_a_post_that_landed(self, sink: Courier, slack: FakeSlackApi) -> None:
        [sent] = sink.deliver([claimed(make_alert(1))])
        assert sink.sink.confirm_delivered(claimed(make_alert(1))) == sent.ref
        assert sink.sink.confirm_delivered(claimed(make_alert(99))) is None
        assert slack.calls("conversations.history")[0].params["include_all_metadata"] in (
            True,
            "1",
            "true",
        )

    def test_finds_grouped_posts(self, sink: Courier, slack: FakeSlackApi) -> None:
        sink.deliver([claimed(make_alert(i)) for i in range(10, 15)])
        [message] = slack.messages()
        assert sink.sink.confirm_delivered(claimed(make_alert(12))) == message.ts
        assert sink.sink.confirm_delivered(claimed(make_alert(1))) is None  # "1" is not "10"

    def test_finds_thread_replies_made_in_the_crashed_round(
        self, sink: Courier, slack: FakeSlackApi
    ) -> None:
        sink.deliver([claimed(make_alert(1)), claimed(make_alert(2))])
        reply = slack.messages()[1]
        # After the crash the core had not recorded the thread yet: thread_ref is None.
        assert sink.sink.confirm_delivered(claimed(make_alert(2))) == reply.ts

    def test_finds_replies_in_a_known_thread(self, sink: Courier, slack: FakeSlackApi) -> None:
        [first] = sink.deliver([claimed(make_alert(1))])
        sink.deliver([claimed(make_alert(2), thread_ref=first.ref)])
        found = sink.sink.confirm_delivered(claimed(make_alert(2), thread_ref=first.ref))
        assert found == slack.messages()[1].ts

    def test_outcome_has_a_ref_only_for_a_message_of_its_own(
        self, sink: Courier, slack: FakeSlackApi
    ) -> None:
        [single] = sink.deliver([claimed(make_alert(1, dockets=()))])
        sink.deliver([claimed(make_alert(i, dockets=())) for i in range(10, 15)])
        own = sink.sink.confirm_outcome(claimed(make_alert(1)))
        grouped = sink.sink.confirm_outcome(claimed(make_alert(11)))
        assert (own.outbox_id, own.status, own.ref) == (1, "sent", single.ref)
        assert (grouped.outbox_id, grouped.status, grouped.ref) == (11, "sent", None)
        assert sink.sink.confirm_outcome(claimed(make_alert(99))) is None

    def test_edits_are_not_looked_up(self, sink: Courier, slack: FakeSlackApi) -> None:
        update = make_alert(2, action="update", revision=2)
        assert sink.sink.confirm_delivered(claimed(update, ref="1700000001.000001")) is None
        assert slack.calls("conversations.history") == []

    def test_unreadable_history_means_not_confirmed(
        self, sink: Courier, slack: FakeSlackApi
    ) -> None:
        sink.deliver([claimed(make_alert(1))])
        slack.fail("conversations.history", error="missing_scope")
        assert sink.sink.confirm_delivered(claimed(make_alert(1))) is None
