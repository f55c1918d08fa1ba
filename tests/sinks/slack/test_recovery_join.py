"""Issue 10 defect 11: crash recovery in a public channel the bot posts to without joining."""

from __future__ import annotations

from bot.pipeline.deliver import Courier
from tests.fakes.slack_api import FakeSlackApi
from tests.sinks.slack.conftest import claimed, make_alert
from tests.sinks.slack.test_sink import sink  # noqa: F401


def test_not_in_channel_history_joins_and_confirms_instead_of_reposting(
    sink: Courier,  # noqa: F811
    slack: FakeSlackApi,
) -> None:
    [sent] = sink.deliver([claimed(make_alert(1))])
    slack.state.outsider_channels.add("C0ALERTS")  # chat:write.public: posted, never joined
    outcome = sink.sink.confirm_outcome(claimed(make_alert(1)))
    assert outcome is not None and (outcome.status, outcome.ref) == ("sent", sent.ref)
    assert [c.params["channel"] for c in slack.calls("conversations.join")] == ["C0ALERTS"]
    assert len(slack.messages()) == 1  # nothing posted twice


def test_an_alert_that_never_landed_is_still_unconfirmed_after_joining(
    sink: Courier,  # noqa: F811
    slack: FakeSlackApi,
) -> None:
    slack.state.outsider_channels.add("C0ALERTS")
    assert sink.sink.confirm_outcome(claimed(make_alert(7))) is None
    assert slack.state.joined == {"C0ALERTS"}
