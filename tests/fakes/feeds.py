"""Builders for feed documents in the real formats, for tests that need many or odd feeds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Entry:
    """One entry to put in a generated feed."""

    title: str
    link: str
    guid: str | None = None
    description: str = ""
    published: dt.datetime | None = None


def rss(entries: list[Entry], *, title: str = "Test feed", encoding: str = "utf-8") -> bytes:
    """An RSS 2.0 document with the given entries."""
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>https://example.gov/</link>",
        "<description>test</description>",
    ]
    for e in entries:
        parts.append("<item>")
        parts.append(f"<title>{escape(e.title)}</title><link>{escape(e.link)}</link>")
        if e.guid:
            parts.append(f'<guid isPermaLink="false">{escape(e.guid)}</guid>')
        if e.description:
            parts.append(f"<description>{escape(e.description)}</description>")
        if e.published:
            parts.append(f"<pubDate>{format_datetime(e.published)}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode(encoding, "xmlcharrefreplace")


def numbered_entries(prefix: str, count: int, *, start: int = 0) -> list[Entry]:
    """`count` distinct, dated entries whose links live under https://example.gov/<prefix>/."""
    base = dt.datetime(2025, 11, 20, 12, tzinfo=dt.UTC)
    return [
        Entry(
            title=f"{prefix} notice {n}: CALEA compliance update",
            link=f"https://example.gov/{prefix}/{n}",
            guid=f"{prefix}-{n}",
            description=f"Item {n} of {prefix}. PS Docket No. 22-329. Comments are due soon.",
            published=base - dt.timedelta(minutes=n),
        )
        for n in range(start, start + count)
    ]
