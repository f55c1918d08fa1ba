"""Valid RSS 2.0 items may have a description and no title: they are kept, titled from their
first words, and deduped by their content."""

from __future__ import annotations

import asyncio

from bot.feeds.normalize import title_from_text
from bot.feeds.parse import parse_feed
from bot.models import Health, Source
from bot.pipeline.analyze import analyze_feed
from bot.store import Store
from tests.pipeline.test_poll import make_config, make_pipeline

SOURCE = Source(id="s", name="S", url="https://example.gov/feed")
LONG = (
    "The Commission adopted rules on CALEA compliance for network operators in "
    "Washington today, effective thirty days after publication."
)


def feed(items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>'
        f"<link>https://example.gov/</link><description>d</description>{items}</channel></rss>"
    ).encode()


UNTITLED_FEED = feed(
    f"<item><description>&lt;p&gt;{LONG}&lt;/p&gt;</description></item>"
    "<item><description>Short notice only</description></item>"
    "<item><content:encoded><![CDATA[<p>Content <b>only</b> entry</p>]]></content:encoded></item>"
    "<item><title><![CDATA[<b>Markup</b> <i>title</i>]]></title></item>"
)


def test_title_from_text_takes_the_first_words_with_an_ellipsis():
    assert title_from_text(LONG) == (
        "The Commission adopted rules on CALEA compliance for network operators in Washington…"
    )
    assert title_from_text("Short notice only") == "Short notice only"
    assert title_from_text("   ") == "(untitled)"


def test_description_only_content_only_and_markup_title_entries_are_kept():
    parsed = parse_feed(UNTITLED_FEED, source=SOURCE, base_url=SOURCE.url)
    assert [i.title for i in parsed.items] == [
        "The Commission adopted rules on CALEA compliance for network operators in Washington…",
        "Short notice only",
        "Content only entry",
        "Markup title",
    ]
    assert parsed.items[0].text == LONG
    assert not parsed.warnings


def test_a_feed_of_only_untitled_items_is_not_called_malformed():
    body = feed("<item><description>First description-only item</description></item>")
    analysed = analyze_feed(
        body, source=SOURCE, base_url=SOURCE.url, content_type="application/rss+xml", topics=()
    )
    assert [a.item.title for a in analysed.items] == ["First description-only item"]
    assert any(k.startswith("hash:") for k in analysed.items[0].dedupe_keys)


def test_untitled_items_are_stored_once_and_deduped_by_content(tmp_path, feed_server):
    feed_server.route("/untitled", body=UNTITLED_FEED)
    source = Source(id="untitled", name="Untitled", url=feed_server.url("/untitled"))
    store = Store(tmp_path / "bot.db")
    try:
        pipeline = make_pipeline(make_config(tmp_path, [source]), store)

        async def twice():
            try:
                first = await pipeline.poll_source(source)
                feed_server.route("/untitled", body=UNTITLED_FEED + b"\n")  # not byte-identical
                second = await pipeline.poll_source(source)
                return first, second
            finally:
                await pipeline.fetcher.aclose()

        first, second = asyncio.run(twice())
        assert first.health is Health.OK and first.ingest.new == 4, first.message
        assert second.health is Health.OK and second.ingest.new == 0
        assert second.ingest.seen == 4
    finally:
        store.close()
