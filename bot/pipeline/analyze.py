"""The pure CPU stage between fetch and store: parse → extract → classify → summarise → keys.

`analyze_feed` takes response bytes and returns analysed items. It does no I/O, so it can run in
a worker process (the pipeline uses a process pool to parse on every core) or inline in tests.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from bot.analysis.extract import extract_identifiers
from bot.analysis.matters import item_events, related_matters
from bot.analysis.summarize import Summarizer, extractive_summary
from bot.analysis.topics import classify
from bot.feeds.parse import parse_feed
from bot.models import AnalyzedItem, Matter, ParsedItem, Source, Topic

_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|_hsenc|_hsmi|ref)$", re.I)


@dataclass(frozen=True)
class AnalyzedFeed:
    """A feed's analysed items and the parser's non-fatal warnings."""

    title: str
    items: tuple[AnalyzedItem, ...]
    warnings: tuple[str, ...] = ()


def canonical_url(url: str | None) -> str | None:
    """A URL reduced to what identifies the document: no scheme, fragment or tracking params."""
    if not url:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return None
    if host.startswith("www."):
        host = host[4:]
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    query = ""
    if parts.query:
        query = "?" + urlencode(
            sorted(
                (k, v)
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
                if not _TRACKING_PARAMS.match(k)
            )
        )
    path = parts.path.rstrip("/") or "/"
    return f"{host}{port}{path}{query.rstrip('?')}"


def content_hash(item: ParsedItem) -> str:
    """A short, stable hash of what a reader sees: the (already whitespace-normalised) title
    and text."""
    data = f"{item.title}\n{item.text}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _unreliable_keys(
    items: Sequence[ParsedItem], link_keys: Sequence[str | None], hashes: Sequence[str]
) -> set[str]:
    """GUIDs or links that the feed gives to different items: useless as identity."""
    contents: dict[str, set[str]] = {}
    for item, link_key, digest in zip(items, link_keys, hashes, strict=True):
        for key in (f"guid:{item.guid}" if item.guid else None, link_key):
            if key:
                contents.setdefault(key, set()).add(digest)
    return {key for key, digests in contents.items() if len(digests) > 1}


def _link_key(link: str | None) -> str | None:
    canonical = canonical_url(link)
    if canonical is None or "/" not in canonical or canonical.endswith("/"):
        return None  # a site's home page identifies nothing
    return f"link:{canonical}"


def analyze_items(
    parsed: Sequence[ParsedItem],
    *,
    source: Source,
    topics: Sequence[Topic],
    matters: Sequence[Matter] = (),
    summarize: Summarizer = extractive_summary,
) -> tuple[AnalyzedItem, ...]:
    """Extract, classify, summarise and key already-parsed items (pure)."""
    hashes = [content_hash(item) for item in parsed]
    link_keys = [_link_key(item.link) for item in parsed]
    unreliable = _unreliable_keys(parsed, link_keys, hashes)
    analysed = []
    for item, link_key, digest in zip(parsed, link_keys, hashes, strict=True):
        identifiers = extract_identifiers(item)
        own_documents = item.own_documents
        day = item.published.date().isoformat() if item.published else ""
        dedupe_keys = [
            key
            for key in (f"guid:{item.guid}" if item.guid else None, link_key)
            if key and key not in unreliable
        ]
        dedupe_keys.append(f"hash:{digest}:{day}")
        identity_keys = [f"doc:{doc}" for doc in own_documents]
        cited = related_matters(identifiers, matters, own_documents)
        if link_key and link_key not in unreliable:
            identity_keys.insert(0, "url:" + link_key.removeprefix("link:"))
        analysed.append(
            AnalyzedItem(
                item=item,
                identifiers=identifiers,
                topics=classify(item, identifiers, topics, source.topics),
                summary=summarize(item.title, item.text),
                content_hash=digest,
                dedupe_keys=tuple(dedupe_keys),
                identity_keys=tuple(dict.fromkeys(identity_keys)),
                matters=cited,
                matter_events=item_events(item, identifiers) if cited else (),
            )
        )
    return tuple(analysed)


def analyze_feed(
    body: bytes,
    *,
    source: Source,
    base_url: str,
    content_type: str | None,
    topics: Sequence[Topic],
    matters: Sequence[Matter] = (),
) -> AnalyzedFeed:
    """Parse a response body and analyse every item. Raises FeedParseError when nothing usable."""
    feed = parse_feed(body, source=source, base_url=base_url, content_type=content_type)
    items = analyze_items(feed.items, source=source, topics=topics, matters=matters)
    return AnalyzedFeed(title=feed.title, items=items, warnings=feed.warnings)
