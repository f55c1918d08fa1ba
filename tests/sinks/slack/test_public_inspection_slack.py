"""Public inspection end to end: the published copy edits the Slack message; withdrawal too."""

from __future__ import annotations

import copy
import datetime as dt
import json

from slack_sdk import WebClient

from bot.models import Source, Watch
from bot.pipeline.analyze import analyze_items
from bot.pipeline.deliver import Courier, drain_outbox
from bot.pipeline.poll import store_items
from bot.sinks.slack import SlackSink
from bot.store import Store
from tests.fakes.slack_api import FakeClock, FakeSlackApi
from tests.feeds.test_public_inspection import FR, PI, parse, sample
from tests.sinks.slack.conftest import NOW


def poll(store: Store, config, source: Source, data: dict, at: dt.datetime) -> None:
    items = parse(data, source).items
    analysed = analyze_items(items, source=source, topics=config.topics, matters=config.matters)
    with store.transaction():
        store_items(store, source, analysed, now=at)


def test_published_copy_edits_the_public_inspection_alert(
    store: Store, config, slack: FakeSlackApi, clock: FakeClock
) -> None:
    destination = store.subscriptions.ensure_destination("slack", "C0ALERTS", now=NOW)
    store.subscriptions.subscribe(destination.id, ["calea"], now=NOW)
    store.watches.add(Watch(destination.id, "docket", "ET 24-136"), now=NOW)
    sink = Courier(SlackSink(WebClient(token=slack.token, base_url=slack.base_url)), clock=clock,
                   sleep=clock.sleep)  # fmt: skip
    pi = sample("public_inspection.json")
    poll(store, config, PI, pi, NOW)
    drain_outbox(store, {"slack": sink}, now=NOW)
    posted, special = slack.messages("C0ALERTS")
    assert "On public inspection — publishes 2025-12-15" in json.dumps(
        posted.blocks, ensure_ascii=False
    )

    later = NOW + dt.timedelta(days=3)
    poll(store, config, FR, sample("federal_register.json"), later)
    drain_outbox(store, {"slack": sink}, now=later)
    edited, _ = slack.messages("C0ALERTS")  # the same message, edited: no second alert
    assert edited.ts == posted.ts and edited.edits == 1
    blocks = json.dumps(edited.blocks, ensure_ascii=False)
    assert "On public inspection" not in blocks and "2025-22830" in blocks
    assert "effective" in blocks  # dates now come from the published document

    withdrawn = copy.deepcopy(pi)
    withdrawn["results"][1]["editorial_note"] = "Withdrawn at the agency's request."
    poll(store, config, PI, withdrawn, later + dt.timedelta(hours=1))
    drain_outbox(store, {"slack": sink}, now=later + dt.timedelta(hours=1))
    rows = store.db.execute("SELECT action FROM outbox ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["new", "new", "update", "update"]
    assert len(slack.messages("C0ALERTS")) == 2
    withdrawn_post = slack.messages("C0ALERTS")[1]
    assert withdrawn_post.ts == special.ts and withdrawn_post.edits == 1
    text = json.dumps(withdrawn_post.blocks, ensure_ascii=False)
    assert "Withdrawn from public inspection" in text and "watch: docket ET 24-136" in text
