"""The Teams sink against a fake Workflows endpoint on loopback: grouping and outcomes."""

from __future__ import annotations

import logging
import socket
import time

import httpx
import pytest

from bot.pipeline.deliver import Courier
from bot.sinks.teams.poster import WorkflowsPoster
from bot.sinks.teams.sink import TeamsSink, TeamsSinkSettings
from bot.sinks.teams.urls import WebhookUrlPolicy
from tests.fakes.workflows import FakeWorkflows
from tests.sinks.teams.card_checks import assert_valid_card, card_texts
from tests.sinks.teams.helpers import claimed, destination, make_alert

LOOPBACK = WebhookUrlPolicy().with_entries(["http://127.0.0.1"])
FAST = TeamsSinkSettings(connect_timeout=1.0, timeout=2.0, min_interval_seconds=0.0)


@pytest.fixture
def workflows():
    with FakeWorkflows() as fake:
        yield fake


def sink_for(
    url: str | None, settings: TeamsSinkSettings = FAST, *, sleep=time.sleep, clock=time.monotonic
) -> Courier:
    sink = TeamsSink(lambda _destination: url, policy=LOOPBACK, settings=settings)
    return Courier(sink, sleep=sleep, clock=clock)


def alerts(count: int, *, digest: bool = False, start: int = 1):
    return [claimed(make_alert(n), digest=digest) for n in range(start, start + count)]


def test_each_alert_is_one_valid_card_and_202_means_sent(workflows):
    sink = sink_for(workflows.url())
    outcomes = sink.deliver(alerts(2))
    assert [(o.outbox_id, o.status) for o in outcomes] == [(1, "sent"), (2, "sent")]
    assert len(workflows.posts) == 2
    for post in workflows.posts:
        assert post.headers["content-type"] == "application/json"
        assert post.json["type"] == "message"
        assert post.json["attachments"][0]["contentUrl"] is None
        assert_valid_card(post.card)
    assert (
        "Order rescinding the CALEA declaratory ruling (1)"
        in card_texts(workflows.posts[0].card)[2]
    )


def test_200_is_sent_too(workflows):
    workflows.answer(200)
    assert sink_for(workflows.url()).deliver(alerts(1))[0].status == "sent"


def test_a_burst_becomes_one_grouped_card(workflows):
    outcomes = sink_for(workflows.url()).deliver(alerts(6))
    assert {o.status for o in outcomes} == {"sent"} and len(outcomes) == 6
    assert len(workflows.posts) == 1
    card = workflows.posts[0].card
    assert_valid_card(card)
    assert card_texts(card)[1] == "6 regulatory alerts"


def test_a_big_burst_is_split_into_cards_that_list_every_alert(workflows):
    outcomes = sink_for(workflows.url()).deliver(alerts(45))
    assert [o.status for o in outcomes] == ["sent"] * 45
    assert len(workflows.posts) == 3
    texts = "\n".join(t for post in workflows.posts for t in card_texts(post.card))
    for post in workflows.posts:
        assert_valid_card(post.card)
    assert "more" not in texts.lower()
    assert all(make_alert(n).title in texts for n in range(1, 46))


def test_digest_rows_become_one_digest_card_apart_from_real_time_ones(workflows):
    outcomes = sink_for(workflows.url()).deliver([*alerts(5, digest=True), *alerts(1, start=9)])
    assert sorted(o.outbox_id for o in outcomes if o.status == "sent") == [1, 2, 3, 4, 5, 9]
    assert len(workflows.posts) == 2
    assert "(9)" in card_texts(workflows.posts[0].card)[2]  # real-time first
    assert card_texts(workflows.posts[1].card)[1] == "Daily digest: 5 alerts"


def test_429_retries_after_retry_after_and_stops_posting(workflows):
    workflows.answer(429, retry_after="7")
    outcomes = sink_for(workflows.url()).deliver(alerts(3))
    assert [(o.status, o.retry_after_seconds) for o in outcomes] == [("retry", 7.0)] * 3
    assert len(workflows.posts) == 1
    assert "429" in outcomes[0].detail


def test_429_without_retry_after_uses_the_default_delay(workflows):
    workflows.answer(429)
    outcome = sink_for(workflows.url()).deliver(alerts(1))[0]
    assert (outcome.status, outcome.retry_after_seconds) == ("retry", 60.0)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_retry(workflows, status):
    workflows.answer(status)
    outcomes = sink_for(workflows.url()).deliver(alerts(2))
    assert [o.status for o in outcomes] == ["retry", "retry"]
    assert str(status) in outcomes[0].detail
    assert len(workflows.posts) == 1


@pytest.mark.parametrize(
    ("status", "needle"),
    [(400, "run history"), (401, "turned off"), (403, "regenerated"), (404, "no longer exists")],
)
def test_client_errors_pause_the_destination_with_what_to_do(workflows, status, needle):
    workflows.answer(status)
    outcomes = sink_for(workflows.url()).deliver(alerts(2))
    assert [o.status for o in outcomes] == ["pause", "pause"]
    assert needle in outcomes[0].detail
    assert "calea-bot teams add-channel alerts URL --replace" in outcomes[0].detail
    assert len(workflows.posts) == 1


def test_413_re_renders_a_compact_card_once(workflows):
    workflows.answer(413)
    alert = make_alert(summary="Long summary. " * 200)
    outcome = sink_for(workflows.url()).deliver([claimed(alert)])[0]
    assert outcome.status == "sent"
    first, second = workflows.posts
    assert len(second.body) < len(first.body)
    assert_valid_card(second.card)


def test_413_twice_fails_the_alert(workflows):
    workflows.answer(413, times=2)
    outcomes = sink_for(workflows.url()).deliver(alerts(2))
    assert outcomes[0].status == "failed" and "413" in outcomes[0].detail
    assert outcomes[1].status == "sent"  # the next alert is unaffected
    assert len(workflows.posts) == 3


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_network_errors_retry_without_the_url_in_the_detail():
    url = f"http://127.0.0.1:{_closed_port()}/workflows/x/invoke?sig=SECRETSIG"
    outcomes = sink_for(url).deliver(alerts(2))
    assert [o.status for o in outcomes] == ["retry", "retry"]
    assert "could not reach the workflow for 'alerts'" not in outcomes[0].detail  # plain name
    assert "could not reach the workflow for alerts" in outcomes[0].detail
    assert "SECRETSIG" not in outcomes[0].detail and "/workflows/x" not in outcomes[0].detail


def test_a_destination_without_a_registered_url_is_paused():
    outcome = sink_for(None).deliver(alerts(1))[0]
    assert outcome.status == "pause"
    assert "calea-bot teams add-channel alerts URL" in outcome.detail


def test_a_url_outside_the_allowed_hosts_is_never_posted_to(workflows):
    sink = Courier(TeamsSink(lambda _d: workflows.url(), policy=WebhookUrlPolicy(), settings=FAST))
    outcome = sink.deliver(alerts(1))[0]
    assert outcome.status == "pause" and "https://" in outcome.detail
    assert workflows.posts == []
    assert workflows.SIGNATURE not in outcome.detail


def test_each_destination_gets_its_own_webhook(workflows):
    urls = {"a": workflows.url("flow-a"), "b": workflows.url("flow-b")}
    sink = Courier(TeamsSink(lambda d: urls[d.address], policy=LOOPBACK, settings=FAST))
    outcomes = sink.deliver(
        [claimed(make_alert(1), destination("a", 1)), claimed(make_alert(2), destination("b", 2))]
    )
    assert {o.status for o in outcomes} == {"sent"}
    assert sorted(p.path.split("/")[2] for p in workflows.posts) == ["flow-a", "flow-b"]


def test_posts_to_one_webhook_are_paced(workflows):
    waits: list[float] = []
    sink = sink_for(
        workflows.url(),
        TeamsSinkSettings(min_interval_seconds=1.0),
        sleep=waits.append,
        clock=lambda: 100.0,  # time stands still: every wait is the full interval
    )
    sink.deliver(alerts(3))
    assert waits == [1.0, 1.0]


def test_the_webhook_url_never_reaches_the_logs(workflows, caplog):
    caplog.set_level(logging.DEBUG)
    workflows.answer(202)
    workflows.answer(429, retry_after="3")
    sink = sink_for(workflows.url())
    sink.deliver(alerts(1))
    sink.deliver(alerts(1, start=2))
    sink_for(f"http://127.0.0.1:{_closed_port()}/wf?sig={workflows.SIGNATURE}").deliver(alerts(1))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "127.0.0.1" in logged  # the masked form is there …
    assert workflows.SIGNATURE not in logged  # … the secret and the path are not
    assert "/workflows/" not in logged and "triggers" not in logged


def test_transport_errors_that_quote_the_url_are_scrubbed():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect to {request.url} (path {request.url.path})")

    url = "https://a.logic.azure.com/workflows/x/invoke?api-version=1&sig=S3CRET%2Fvalue"
    poster = WorkflowsPoster(transport=httpx.MockTransport(refuse))
    sink = Courier(TeamsSink(lambda _d: url, settings=FAST, poster=poster))
    (outcome,) = sink.deliver(alerts(1))
    assert outcome.status == "retry"
    assert "ConnectError: cannot connect to …" in outcome.detail
    assert "S3CRET" not in outcome.detail and "/workflows/" not in outcome.detail
