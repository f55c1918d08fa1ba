"""Fixtures for the Slack adapter: a fake Slack Web API, a small config, a real store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot.commands.context import CommandServices
from bot.config import Config, load_config
from bot.models import Alert, Destination, KeyDate, ParsedItem, TopicMatch
from bot.pipeline.analyze import analyze_items
from bot.pipeline.poll import store_items
from bot.sinks.slack.kit import MAX_BLOCKS, MAX_MESSAGE_BYTES, message_size
from bot.store import ClaimedAlert, Store
from tests.fakes.slack_api import FakeClock, FakeSlackApi
from tests.sinks.slack.many import many  # noqa: F401 - the multi-workspace fixture

HOSTILE_TITLE = "<!channel> <@U123> <https://evil|FCC>"
PUBLISHED = dt.datetime(2025, 11, 20, 14, 30, tzinfo=dt.UTC)
NOW = dt.datetime(2025, 12, 1, 15, 0, tzinfo=dt.UTC)

FEEDS_YAML = """\
sources:
  - id: fcc-edocs
    name: FCC EDOCS
    url: https://api2.fcc.gov/edocs/public/api/v1/rss/
topics:
  calea:
    title: CALEA & lawful intercept
    description: Lawful intercept capability and the 2025 declaratory ruling.
    keywords: [CALEA, lawful intercept]
    dockets: [PS 22-329]
  robocalls:
    title: Robocalls
    keywords: [robocall]
"""


def make_alert(outbox_id: int = 1, **changes: object) -> Alert:
    """A realistic alert; override any field."""
    fields: dict = {
        "outbox_id": outbox_id,
        "event_id": 100 + outbox_id,
        "action": "new",
        "revision": 1,
        "source_name": "FCC EDOCS",
        "title": f"Order on Reconsideration #{outbox_id}",
        "link": f"https://docs.fcc.gov/public/attachments/FCC-25-{outbox_id}A1.pdf",
        "published": PUBLISHED,
        "topics": (TopicMatch("calea", "docket PS 22-329"),),
        "dockets": ("PS 22-329",),
        "documents": ("FCC 25-81",),
        "dates": (KeyDate("comments_close", dt.date(2026, 1, 20)),),
        "summary": "The Commission rescinds the 2025 CALEA declaratory ruling.",
        "also_in": ("Federal Register",),
        "matters": (),
    }
    fields.update(changes)
    return Alert(**fields)


CHANNEL = Destination(id=1, platform="slack", address="C0ALERTS", name="reg-alerts")


def claimed(alert: Alert, **changes: object) -> ClaimedAlert:
    """The alert as drain_outbox hands it to a sink, for #reg-alerts."""
    fields: dict = {"destination": CHANNEL, "alert": alert, "attempts": 1}
    fields.update(changes)
    return ClaimedAlert(**fields)


def poll(store: Store, config: Config, titles: Sequence[str], *, at: dt.datetime = NOW) -> None:
    """Store items as one poll of fcc-edocs (which queues alerts for subscribed channels)."""
    items = [
        ParsedItem(
            title=title,
            link=f"https://docs.fcc.gov/public/attachments/doc-{n}-{at.minute}.pdf",
            guid=f"doc-{n}-{title}",
            text=f"{title}. PS Docket No. 22-329. CALEA.",
            published=at - dt.timedelta(hours=n),
        )
        for n, title in enumerate(titles)
    ]
    source = config.source("fcc-edocs")
    analysed = analyze_items(items, source=source, topics=config.topics, matters=config.matters)
    with store.transaction():
        store_items(store, source, analysed, now=at)


def assert_valid_blocks(blocks: list[dict], *, max_blocks: int = MAX_BLOCKS) -> None:
    """Every block passes slack_sdk's Block Kit validation and loses nothing when parsed."""
    assert 0 < len(blocks) <= max_blocks
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        assert parsed.to_dict() == block  # to_dict() runs the models' validators
        for text in _texts(block):
            if text.get("type") == "mrkdwn":
                assert text.get("verbatim") is True, block
    if max_blocks == MAX_BLOCKS:
        assert message_size(blocks) <= MAX_MESSAGE_BYTES


def _texts(block: dict) -> list[dict]:
    texts = []
    if isinstance(block.get("text"), dict):
        texts.append(block["text"])
    texts.extend(block.get("fields", []))
    texts.extend(e for e in block.get("elements", []) if e.get("type") == "mrkdwn")
    return texts


@pytest.fixture
def clock() -> FakeClock:
    """A shared fake clock: the sink's pacing and the fake's rate limit both use it."""
    return FakeClock()


@pytest.fixture
def slack(clock: FakeClock) -> Iterator[FakeSlackApi]:
    """A running fake Slack Web API whose rate limit follows the fake clock."""
    with FakeSlackApi(clock=clock) as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlackApi) -> WebClient:
    """A real WebClient pointed at the fake."""
    return WebClient(token=slack.token, base_url=slack.base_url, timeout=5)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A two-topic configuration written to a real file."""
    path = tmp_path / "feeds.yaml"
    path.write_text(FEEDS_YAML, encoding="utf-8")
    return load_config(path)


@pytest.fixture
def services(config: Config, store: Store) -> CommandServices:
    """Command services over the small config and the temporary store."""
    return CommandServices(config=config, store=store)
