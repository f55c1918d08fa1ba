"""A burst of alerts queued straight into a store: channels following one topic, items on it."""

from __future__ import annotations

import datetime as dt

from bot.alerts.policy import AlertLimits
from bot.models import ParsedItem, Source, Topic
from bot.pipeline.analyze import analyze_items
from bot.pipeline.poll import store_items
from bot.store import Store

SOURCE = Source(id="fcc", name="FCC", url="https://example.gov/rss")
TOPICS = (Topic(id="calea", title="CALEA", keywords=("CALEA",)),)


def queue_burst(
    store: Store, *, channels: int, items: int, now: dt.datetime, workspace: str = ""
) -> None:
    """Slack channels C000… follow `calea`; items "CALEA notice 0…" are stored in one poll, so
    items × channels alerts are queued (items already stored are not queued again)."""
    for n in range(channels):
        channel = store.subscriptions.ensure_destination(
            "slack", f"C{n:03}", f"chan-{n}", workspace=workspace, now=now
        )
        store.subscriptions.subscribe(channel.id, ["calea"], now=now)
    parsed = [
        ParsedItem(
            title=f"CALEA notice {n}", link=f"https://example.gov/{n}", guid=str(n), published=now
        )
        for n in range(items)
    ]
    with store.transaction():
        store_items(
            store,
            SOURCE,
            analyze_items(parsed, source=SOURCE, topics=TOPICS),
            now=now,
            limits=AlertLimits(max_alerts_per_poll=10_000),
        )
